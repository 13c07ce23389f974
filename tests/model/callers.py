"""Who sends a request, and what the rules let each caller do (docs/domain.md#permissions).

The TKKSD secretariat (``tkksd``) acts on everything; agency staff (``opd:<CODE>``)
resubmit and withdraw their agency's proposals, set the plan and record follow-up for
the agreements their agency leads or supports, and attach documents to and take public
ones down from the agreements it leads; the TKKSD, the regional secretary (``sekda``) and
the lead and supporting agencies read an agreement's archive, and anyone authenticated
reads a document on the public register.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.auth import auth_headers
from tests.model.expect import Local

SECRETARIAT = "tkksd"
REGIONAL_SECRETARY = "sekda"
AGENCY = "opd:"
CALLERS = ("tkksd", "lead", "supporting", "other", "sekda")
"""How the caller of a request is chosen, relative to the agreement it is about."""
LEAD_OR_SUPPORTING = frozenset({"plan", "follow-ups", "complete"})
LEAD_ONLY = frozenset({"resubmit", "withdraw"})


@dataclass(frozen=True)
class Caller:
    """A bearer of a token: its subject (which scopes its Idempotency-Keys) and roles."""

    subject: str
    roles: tuple[str, ...]

    def headers(self) -> dict[str, str]:
        return auth_headers(*self.roles, subject=self.subject)

    @property
    def agencies(self) -> frozenset[str]:
        return frozenset(r.removeprefix(AGENCY) for r in self.roles if r.startswith(AGENCY))

    @property
    def secretariat(self) -> bool:
        return SECRETARIAT in self.roles


TESTER = Caller("tester", (SECRETARIAT, REGIONAL_SECRETARY))
"""The operator the model acts as by default (the TKKSD and the regional secretary)."""


def staff_of(agency: str) -> Caller:
    return Caller(f"staff-{agency}", (f"{AGENCY}{agency}",))


def caller(how: str, a: Local, opds: tuple[str, ...]) -> Caller:
    """The caller ``how`` names for agreement ``a`` (``opds``: the example's agencies;
    ``supporting`` is another agency when ``a`` has no supporting agency but its lead,
    ``other`` one that neither leads nor supports ``a``)."""
    lead = a.shown["lead_opd"]
    others = [o for o in (*opds, f"{opds[0][:-1]}Z") if o != lead and o not in a.supporting]
    if how == "tkksd":
        return TESTER
    if how == "sekda":
        return Caller("sekda", (REGIONAL_SECRETARY,))
    if how == "lead":
        return staff_of(lead)
    if how == "supporting":
        return staff_of(next((s for s in a.supporting if s != lead), others[0]))
    assert how == "other", how
    return staff_of(others[0])


def may_act(action: str, who: Caller, a: Local) -> bool:
    """Whether ``who`` may ask for ``action`` on ``a`` (whatever the stage)."""
    if who.secretariat:
        return True
    if action in LEAD_ONLY:
        return a.shown["lead_opd"] in who.agencies
    if action in LEAD_OR_SUPPORTING:
        return not who.agencies.isdisjoint({a.shown["lead_opd"], *a.supporting})
    return False


def may_archive(who: Caller, a: Local) -> bool:
    """Whether ``who`` may attach documents to ``a`` and take its public ones down."""
    return who.secretariat or a.shown["lead_opd"] in who.agencies


def may_read_archive(who: Caller, a: Local) -> bool:
    """Whether ``who`` may read every one of ``a``'s documents (anyone lists them)."""
    return (who.secretariat or REGIONAL_SECRETARY in who.roles
            or not who.agencies.isdisjoint({a.shown["lead_opd"], *a.supporting}))

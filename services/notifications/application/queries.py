"""Who may see a contact and the deliveries to it (docs/domain.md#tenancy).

A contact belongs to its recipient: an agency's to that agency (role ``opd:<CODE>``),
the configured secretariat's to the TKKSD, the regional secretary's to the regional
secretary (role ``sekda``). The TKKSD (role ``tkksd``) sees every contact and every
delivery, and alone sees the raw error of a failed attempt: it may name internal
addresses and how they answered.
"""

from __future__ import annotations

from contracts.roles import REGIONAL_SECRETARY, SECRETARIAT
from plumbing.auth import Principal, agency

AGENCY_ROLE_PREFIX = agency("")


class Readers:
    """The owners of contact codes, given the codes of the configured offices."""

    def __init__(self, secretariat: str, regional_secretary: str) -> None:
        self._offices = {secretariat: SECRETARIAT, regional_secretary: REGIONAL_SECRETARY}

    def owners(self, code: str) -> tuple[str, ...]:
        """The roles that may read and set the contact ``code`` (the TKKSD's first)."""
        office = self._offices.get(code)
        if office == SECRETARIAT:
            return (SECRETARIAT,)
        return (SECRETARIAT, office or agency(code))

    def may_read(self, caller: Principal, code: str) -> bool:
        """Whether ``caller`` may see the contact ``code`` and the deliveries to it."""
        return caller.has(*self.owners(code))

    def codes(self, caller: Principal) -> frozenset[str] | None:
        """The contact codes ``caller`` may see; None for all of them (the TKKSD)."""
        if caller.has(SECRETARIAT):
            return None
        own = {role.removeprefix(AGENCY_ROLE_PREFIX) for role in caller.roles
               if role.startswith(AGENCY_ROLE_PREFIX)}
        own -= self._offices.keys()  # an office's contact is never an agency's
        own |= {code for code, role in self._offices.items() if caller.has(role)}
        return frozenset(own)

    def sees_errors(self, caller: Principal) -> bool:
        """Whether ``caller`` sees the raw error of failed attempts."""
        return caller.has(SECRETARIAT)

    def describe(self, code: str) -> str:
        """Who may read ``code``, for a 403 problem."""
        roles = self.owners(code)
        if len(roles) == 1:
            return f"the TKKSD secretariat (role {roles[0]})"
        who = "the regional secretary" if roles[1] == REGIONAL_SECRETARY else "that agency"
        return f"the TKKSD secretariat (role {roles[0]}) or {who} (role {roles[1]})"

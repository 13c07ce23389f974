"""Who a notice goes to: audiences → contact codes → contacts with their addresses."""

from __future__ import annotations

from collections.abc import Iterable

from plumbing.db import Conn
from services.notifications.adapters import contacts as store
from services.notifications.domain import AgreementView, Audience
from services.notifications.domain.contacts import Contact


class Directory:
    """Resolves audiences; the secretariat and the regional secretary are configured
    contacts (a contact stored under the same code replaces the configured one)."""

    def __init__(self, secretariat: Contact, regional_secretary: Contact) -> None:
        self.secretariat = secretariat
        self.regional_secretary = regional_secretary
        self._configured = {c.code: c for c in (secretariat, regional_secretary)}

    @property
    def offices(self) -> frozenset[str]:
        """The codes of the configured offices (never an agency's)."""
        return frozenset(self._configured)

    def codes(self, view: AgreementView | None, audiences: Iterable[Audience],
              agencies: Iterable[str] = ()) -> list[str]:
        """The contact codes of ``audiences`` for an agreement (None: a notice about no
        agreement, which has no lead or supporting agencies), each once, in order;
        ``agencies`` are those of :attr:`Audience.NAMED_AGENCIES`."""
        codes: list[str] = []
        for audience in audiences:
            if audience == Audience.NAMED_AGENCIES:
                codes.extend(agencies)
            elif audience in (Audience.LEAD_AGENCY, Audience.SUPPORTING_AGENCIES):
                if view is None:
                    raise ValueError(f"{audience.value}: a notice about no agreement has no "
                                     "agency")
                codes.extend([view.lead_opd] if audience == Audience.LEAD_AGENCY
                             else view.supporting_opds)
            elif audience == Audience.SECRETARIAT:
                codes.append(self.secretariat.code)
            else:
                codes.append(self.regional_secretary.code)
        return list(dict.fromkeys(codes))

    async def contacts(self, conn: Conn, codes: list[str]) -> dict[str, Contact]:
        """The contact of each code: stored, else configured, else one without addresses."""
        stored = await store.get_many(conn, codes)
        return {code: stored.get(code) or self._configured.get(code) or Contact(code)
                for code in codes}

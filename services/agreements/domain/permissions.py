"""Who may do what (pure): the province's division of work between agencies and the TKKSD.

- Agency staff (``opd:<CODE>``) propose for their own agency, resubmit or withdraw their
  agency's proposals, and set the plan and record follow-up (activities, completed
  milestones) for agreements their agency leads or supports.
- The TKKSD secretariat (``tkksd``) reviews, drafts, discusses, records approvals and
  signing, evaluates, terminates and expires; it may also act for any agency.
- The regional secretary (``sekda``) adopts the work program.
- The lead agency (and the TKKSD) attach documents to the archive and take public ones
  down; the TKKSD, the regional secretary and the lead and supporting agencies read the
  archive; a document on the public register is read by anyone authenticated.
- An agency maps its own cooperation (adds, revises and withdraws the items of its mapping);
  the TKKSD maps for every agency.
- Agency staff and the TKKSD register partners in the registry; the TKKSD revises them
  and merges duplicates. The adoption job (``system:partners``) registers the partners of
  agreements proposed before the registry.
- The expiry job (``system:expiry``) expires agreements past their end date.
- Everyone authenticated may read; nobody else may write.
"""

from __future__ import annotations

from collections.abc import Set

from contracts.commands import (
    AddMappingItem,
    AdoptWorkProgram,
    AttachDocument,
    Command,
    CompleteMilestone,
    ExpireAgreement,
    MappingCommand,
    MergePartner,
    ProposeAgreement,
    RecordFollowUp,
    RegisterPartner,
    ResubmitAgreement,
    RevisePartner,
    SetFollowUpPlan,
    UnpublishDocument,
    WithdrawAgreement,
)
from contracts.roles import (
    AGENCY_PREFIX,
    EXPIRY_JOB,
    PARTNER_ADOPTION_JOB,
    REGIONAL_SECRETARY,
    SECRETARIAT,
)
from services.agreements.domain.errors import Forbidden
from services.agreements.domain.mapping_item import MappingItemState
from services.agreements.domain.partner import AdoptPartner
from services.agreements.domain.state import AgreementState, ArchivedDocument


def _agencies(roles: Set[str]) -> set[str]:
    return {r.removeprefix(AGENCY_PREFIX) for r in roles if r.startswith(AGENCY_PREFIX)}


def authorize(command: Command, roles: Set[str], state: AgreementState | None) -> None:
    """Raise Forbidden unless ``roles`` allow ``command`` (``state``: the agreement now)."""
    name = command.routing_key
    if isinstance(command, AdoptWorkProgram):
        if REGIONAL_SECRETARY not in roles:
            raise Forbidden(f"{name} is the regional secretary's (role sekda)")
        return
    if SECRETARIAT in roles:
        return
    mine = _agencies(roles)
    if isinstance(command, ProposeAgreement):
        if command.lead_opd not in mine:
            raise Forbidden(f"an agency proposes only for itself: lead_opd {command.lead_opd}"
                            f" is not among the caller's agencies ({_list(mine)})")
        return
    if isinstance(command, ExpireAgreement) and EXPIRY_JOB in roles:
        return
    if state is None:
        raise Forbidden(f"{name} is the TKKSD secretariat's (role tkksd)")
    if isinstance(command, ResubmitAgreement | WithdrawAgreement | AttachDocument
                  | UnpublishDocument):
        allowed = {state.lead_opd}
        who = "the proposing (lead) agency"
    elif isinstance(command, SetFollowUpPlan | RecordFollowUp | CompleteMilestone):
        allowed = {state.lead_opd, *state.supporting_opds}
        who = "the lead or a supporting agency"
    else:
        raise Forbidden(f"{name} is the TKKSD secretariat's (role tkksd)")
    if mine.isdisjoint(allowed):
        raise Forbidden(f"{name} on this agreement is for {who} ({_list(allowed)}) or the "
                        f"TKKSD secretariat; the caller acts for {_list(mine)}")


def authorize_mapping(command: AddMappingItem | MappingCommand, roles: Set[str],
                      item: MappingItemState | None) -> None:
    """Raise Forbidden unless ``roles`` may change the mapping ``command`` acts on: the
    agency whose mapping it is, or the TKKSD secretariat (``item``: the item now, for a
    revision or a withdrawal)."""
    if SECRETARIAT in roles:
        return
    opd = command.opd if isinstance(command, AddMappingItem) else (
        item.opd if item is not None else None)
    if opd is None or opd not in _agencies(roles):
        whose = f"{opd}'s" if opd else "an agency's"
        raise Forbidden(f"{command.routing_key}: {whose} mapping is changed by that agency "
                        f"or the TKKSD secretariat; the caller acts for "
                        f"{_list(_agencies(roles))}")


def authorize_partner(command: RegisterPartner | RevisePartner | MergePartner,
                      roles: Set[str]) -> None:
    """Raise Forbidden unless ``roles`` may change the registry so: agency staff and the
    TKKSD register, the TKKSD revises and merges, the adoption job adopts."""
    name = command.routing_key
    if isinstance(command, AdoptPartner):
        if PARTNER_ADOPTION_JOB not in roles:
            raise Forbidden(f"{name} is the adoption job's ({PARTNER_ADOPTION_JOB})")
        return
    if SECRETARIAT in roles:
        return
    if isinstance(command, RegisterPartner) and _agencies(roles):
        return
    who = "agency staff or " if isinstance(command, RegisterPartner) else ""
    raise Forbidden(f"{name} is for {who}the TKKSD secretariat (role tkksd), who keeps the "
                    "partner registry")


def authorize_attaching(roles: Set[str], state: AgreementState) -> None:
    """Raise Forbidden unless ``roles`` may attach documents to the agreement in ``state``:
    what :func:`authorize` decides for ``agreement.attach_document``, asked before an
    upload's body is read."""
    if SECRETARIAT in roles or state.lead_opd in _agencies(roles):
        return
    raise Forbidden(f"agreement.attach_document on this agreement is for the proposing (lead) "
                    f"agency ({state.lead_opd}) or the TKKSD secretariat; the caller acts for "
                    f"{_list(_agencies(roles))}")


def authorize_reading(roles: Set[str], state: AgreementState,
                      document: ArchivedDocument | None = None) -> None:
    """Raise Forbidden unless ``roles`` may read the agreement's archive (``document``:
    one document of it). The TKKSD, the regional secretary and the lead and supporting
    agencies read every document; anyone authenticated reads a document on the public
    register."""
    if SECRETARIAT in roles or REGIONAL_SECRETARY in roles:
        return
    if not _agencies(roles).isdisjoint({state.lead_opd, *state.supporting_opds}):
        return
    if document is not None and document.published:
        return
    what = "this document" if document is not None else "the documents of this agreement"
    readers = _list({state.lead_opd, *state.supporting_opds})
    raise Forbidden(f"{what} may be read by the TKKSD secretariat, the regional secretary "
                    f"and the lead or a supporting agency ({readers})")


def _list(codes: Set[str]) -> str:
    return ", ".join(sorted(codes)) or "no agency"

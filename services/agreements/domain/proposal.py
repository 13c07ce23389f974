"""Deciding a proposal: the first event of an agreement's stream."""

from __future__ import annotations

from datetime import date

from contracts.commands import ProposeAgreement
from contracts.common import Authority, DocumentType, Stage
from contracts.events import AgreementProposed
from contracts.partners import partner_id_of
from services.agreements.domain.context import DecisionContext, NamedPartner
from services.agreements.domain.errors import (
    AgreementAlreadyExists,
    MappingItemNotUsable,
    ParentNotAllowed,
    ParentNotFound,
    ParentRequired,
)
from services.agreements.domain.rules import (
    DOCUMENTS_WITH_PARENT,
    check_partners,
    check_priority,
    not_in_future,
    one_of,
    required_approvals,
)
from services.agreements.domain.state import AgreementState


def proposal_year(command: ProposeAgreement, today: date) -> int:
    """The year whose work program a proposal's priority belongs to: its plan year, else
    the year it was proposed in."""
    if command.plan_year is not None:
        return command.plan_year
    return (command.proposed_on or today).year


def _mapped_priority(command: ProposeAgreement, ctx: DecisionContext) -> str | None:
    """Check the mapping item a proposal names (422 unless it is an active item of the
    lead agency); the proposal's priority, else the item's when the proposal's own year
    sets it too (an item of another year may name a priority this year does not have)."""
    if command.mapping_item_id is None:
        return command.priority
    item = ctx.mapping_item
    if item is None:
        raise MappingItemNotUsable(f"mapping item {command.mapping_item_id} does not exist")
    if item.id != command.mapping_item_id:
        raise ValueError(f"context holds mapping item {item.id}, not "
                         f"{command.mapping_item_id}")
    if not item.active:
        raise MappingItemNotUsable(f"mapping item {item.id} was withdrawn")
    if item.opd != command.lead_opd:
        raise MappingItemNotUsable(f"mapping item {item.id} is in the mapping of {item.opd}, "
                                   f"not of the lead agency {command.lead_opd}")
    if command.priority is not None:
        return command.priority
    return item.priority if item.priority in (ctx.priorities or ()) else None


def _check_parent(command: ProposeAgreement, ctx: DecisionContext) -> None:
    document = command.document_type
    if command.parent_id is not None and document not in DOCUMENTS_WITH_PARENT:
        raise ParentNotAllowed(
            f"a {document} cannot name a parent; only "
            f"{one_of(sorted(DOCUMENTS_WITH_PARENT))} documents have one")
    if command.parent_id is None:
        if document == DocumentType.ADDENDUM:
            raise ParentRequired("an ADDENDUM needs a parent_id: the agreement it amends")
        return
    if ctx.parent is None:
        raise ParentNotFound(f"parent agreement {command.parent_id} does not exist")
    if ctx.parent.id != command.parent_id:
        raise ValueError(f"context holds agreement {ctx.parent.id}, "
                         f"not the parent {command.parent_id}")


def named_partner(command: ProposeAgreement, ctx: DecisionContext) -> NamedPartner:
    """The partner the proposal records: as the registry resolved it, else (a decision
    without the registry, as in the decider's own tests) the one named, by its derived id."""
    if ctx.partner is not None:
        return ctx.partner
    if command.partner is None:
        raise ValueError("the service layer must resolve a partner_id before deciding")
    return NamedPartner(partner_id_of(command.partner.name, command.partner.country),
                        command.partner)


def propose(
    command: ProposeAgreement, state: AgreementState | None, ctx: DecisionContext
) -> list[AgreementProposed]:
    """Propose a new agreement (stage PROPOSED, version 1)."""
    if command.agreement_id is None:
        raise ValueError("the service layer must choose the agreement id before deciding")
    if state is not None:
        raise AgreementAlreadyExists(
            f"agreement {state.id} already exists (stage {state.stage}, "
            f"version {state.version})")
    partner = named_partner(command, ctx)
    check_partners(command.kind, [partner.record, *command.co_partners])
    proposed_on = command.proposed_on or ctx.today
    not_in_future("proposed_on", proposed_on, ctx.today)
    _check_parent(command, ctx)
    priority = _mapped_priority(command, ctx)
    if command.priority is not None:
        check_priority(command.priority, proposal_year(command, ctx.today), ctx.priorities)
    supporting = [c for c in dict.fromkeys(command.supporting_opds) if c != command.lead_opd]
    required = required_approvals(command.kind, command.burdens_budget)
    return [AgreementProposed(
        agreement_id=command.agreement_id, version=1, stage=Stage.PROPOSED,
        title=command.title, kind=command.kind, document_type=command.document_type,
        partner=partner.record, partner_id=partner.id,
        co_partners=list(command.co_partners),
        lead_opd=command.lead_opd, supporting_opds=supporting,
        objective=command.objective, sector=command.sector,
        burdens_budget=command.burdens_budget, plan_year=command.plan_year,
        proposed_on=proposed_on, parent_id=command.parent_id, renews_id=command.renews_id,
        required_approvals=[a for a in Authority if a in required],
        priority=priority, mapping_item_id=command.mapping_item_id,
        value_cash=command.value_cash, value_in_kind=command.value_in_kind,
    )]

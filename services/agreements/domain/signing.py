"""Deciding the signing: signatory, dates, validity and the parent agreement."""

from __future__ import annotations

from contracts.commands import SignAgreement
from contracts.common import Stage
from contracts.events import AgreementSigned
from services.agreements.domain.archive import require_signed_text
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.errors import ParentNotFound, ParentNotSigned
from services.agreements.domain.rules import (
    check_signatory,
    check_validity,
    not_before,
    not_in_future,
)
from services.agreements.domain.state import AgreementState


def _check_parent(state: AgreementState, ctx: DecisionContext) -> None:
    if state.parent_id is None:
        return
    parent = ctx.parent
    if parent is None:
        raise ParentNotFound(f"parent agreement {state.parent_id} does not exist")
    if parent.id != state.parent_id:
        raise ValueError(f"context holds agreement {parent.id}, not the parent {state.parent_id}")
    if parent.stage != Stage.SIGNED:
        raise ParentNotSigned(
            f"parent agreement {parent.id} is in stage {parent.stage}; it must be SIGNED "
            f"before this {state.document_type} is signed")


def sign(command: SignAgreement, state: AgreementState, ctx: DecisionContext) -> AgreementSigned:
    """Record the signing (READY_TO_SIGN → SIGNED); the stage was checked by the caller."""
    check_signatory(command.signatory.role, state.partners)
    not_in_future("signed_on", command.signed_on, ctx.today)
    not_before("signed_on", command.signed_on, "proposed_on", state.proposed_on)
    check_validity(command.effective_from, command.effective_until)
    _check_parent(state, ctx)
    require_signed_text(state, ctx)
    return AgreementSigned(
        agreement_id=state.id, version=state.version + 1, stage=Stage.SIGNED,
        number=command.number, signed_on=command.signed_on, signatory=command.signatory,
        effective_from=command.effective_from, effective_until=command.effective_until,
        parent_id=state.parent_id)

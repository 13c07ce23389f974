"""Signing: who may sign, dates, at most five years in force, the parent signed first."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from contracts.commands import DraftAgreement, SignAgreement, StartReview
from contracts.common import (
    Authority,
    DiscussionOutcome,
    DocumentType,
    Kind,
    Partner,
    PartnerCategory,
    Signatory,
    SignatoryRole,
    Stage,
)
from contracts.events import AgreementSigned
from services.agreements.domain import (
    AgreementState,
    DecisionContext,
    InvalidDates,
    ParentNotFound,
    ParentNotSigned,
    SignatoryNotAllowed,
    ValidityTooLong,
    add_years,
    decide,
)
from tests.unit.test_agreement_builders import (
    CTX,
    PARENT_ID,
    TODAY,
    agreement_in,
    approve,
    cmd,
    discuss,
    partner,
    propose_cmd,
    run,
)

P = PartnerCategory
R = SignatoryRole
KIND_OF = {P.REGIONAL_GOVERNMENT: Kind.KSDD, P.FOREIGN_REGIONAL_GOVERNMENT: Kind.KSDPL,
           P.MINISTRY_OR_AGENCY: Kind.SINERGI, P.STATE_UNIVERSITY: Kind.SINERGI,
           P.OTHER_INSTITUTION: Kind.KSDPK, P.THIRD_PARTY: Kind.KSDPK,
           P.FOREIGN_INSTITUTION: Kind.KSDLL}
ANYONE = {R.GOVERNOR, R.REGIONAL_SECRETARY, R.HEAD_OF_AGENCY}
# docs/domain.md#kpi-formulas, the province's rule: who may sign, by partner category.
MAY_SIGN = {P.REGIONAL_GOVERNMENT: ANYONE, P.MINISTRY_OR_AGENCY: ANYONE,
            P.STATE_UNIVERSITY: ANYONE, P.OTHER_INSTITUTION: ANYONE, P.THIRD_PARTY: ANYONE,
            P.FOREIGN_REGIONAL_GOVERNMENT: {R.GOVERNOR},
            P.FOREIGN_INSTITUTION: {R.GOVERNOR, R.REGIONAL_SECRETARY}}


def _approved(kind: Kind, the_partner: Partner) -> AgreementState:
    state = agreement_in(Stage.AWAITING_APPROVAL, kind=kind, partner=the_partner)
    return run(state, approve(Authority.DPRD), approve(Authority.CENTRAL_GOVERNMENT))


def _ready_with(category: P) -> AgreementState:
    kind = KIND_OF[category]
    if kind in {Kind.KSDPL, Kind.KSDLL}:
        return _approved(kind, partner(category, "KR"))
    return agreement_in(Stage.READY_TO_SIGN, kind=kind, partner=partner(category))


def _sign(role: R = R.GOVERNOR, **overrides: object) -> SignAgreement:
    return cmd(SignAgreement, signatory=Signatory(name="Pejabat", role=role), **overrides)


@pytest.mark.parametrize("category", list(PartnerCategory))
@pytest.mark.parametrize("role", list(SignatoryRole))
def test_who_may_sign_depends_on_the_partner_category(category: P, role: R) -> None:
    state = _ready_with(category)
    if role in MAY_SIGN[category]:
        (event,) = decide(_sign(role), state, CTX)
        assert event.stage == Stage.SIGNED
    else:
        with pytest.raises(SignatoryNotAllowed, match=f"of category {category} needs a "
                           f"signatory who is .*, not {role}") as refused:
            decide(_sign(role), state, CTX)
        assert refused.value.status == 422


def test_foreign_government_agreement_needs_governor_signature() -> None:
    state = _ready_with(P.FOREIGN_REGIONAL_GOVERNMENT)
    with pytest.raises(SignatoryNotAllowed) as refused:
        decide(_sign(R.REGIONAL_SECRETARY), state, CTX)
    assert str(refused.value) == ("a partner of category FOREIGN_REGIONAL_GOVERNMENT needs a "
                                  "signatory who is GOVERNOR, not REGIONAL_SECRETARY")


def test_foreign_institution_agreement_cannot_be_signed_by_a_head_of_agency() -> None:
    state = _ready_with(P.FOREIGN_INSTITUTION)
    with pytest.raises(SignatoryNotAllowed, match="GOVERNOR or REGIONAL_SECRETARY, not "
                       "HEAD_OF_AGENCY"):
        decide(_sign(R.HEAD_OF_AGENCY), state, CTX)


def test_signatory_must_be_allowed_for_every_co_partner() -> None:
    multi = agreement_in(Stage.READY_TO_SIGN, kind=Kind.SINERGI,
                         partner=partner(P.MINISTRY_OR_AGENCY),
                         co_partners=[partner(P.STATE_UNIVERSITY, name="ITB")])
    assert decide(_sign(R.HEAD_OF_AGENCY), multi, CTX)[0].stage == Stage.SIGNED
    # Kinds keep co-partners in categories with the same signatories; the rule still
    # looks at each of them.
    mixed = replace(multi, co_partners=(
        partner(P.FOREIGN_REGIONAL_GOVERNMENT, "KR", "Chungcheongnam-do"),))
    with pytest.raises(SignatoryNotAllowed) as refused:
        decide(_sign(R.HEAD_OF_AGENCY), mixed, CTX)
    assert str(refused.value) == ("co-partner 'Chungcheongnam-do' of category "
                                  "FOREIGN_REGIONAL_GOVERNMENT needs a signatory who is "
                                  "GOVERNOR, not HEAD_OF_AGENCY")


def test_signing_records_number_dates_and_signatory() -> None:
    (event,) = decide(_sign(), agreement_in(Stage.READY_TO_SIGN), CTX)
    assert isinstance(event, AgreementSigned)
    assert (event.number, event.signed_on) == ("120/12/Pem.Um", date(2021, 4, 20))
    assert (event.effective_from, event.effective_until) == (date(2021, 4, 20),
                                                             date(2024, 4, 19))
    assert event.signatory.role == R.GOVERNOR and event.parent_id is None


def test_signing_cannot_be_dated_in_the_future() -> None:
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(InvalidDates, match=f"signed_on {tomorrow} is in the future"):
        decide(_sign(signed_on=tomorrow), agreement_in(Stage.READY_TO_SIGN), CTX)


def test_signing_cannot_precede_the_proposal() -> None:
    with pytest.raises(InvalidDates, match="signed_on 2021-01-10 is before proposed_on "
                       "2021-01-11"):
        decide(_sign(signed_on=date(2021, 1, 10)), agreement_in(Stage.READY_TO_SIGN), CTX)


def test_agreement_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidDates, match="effective_until 2021-04-19 is before "
                       "effective_from 2021-04-20"):
        decide(_sign(effective_until=date(2021, 4, 19)), agreement_in(Stage.READY_TO_SIGN),
               CTX)


def test_agreement_may_be_in_force_for_one_day() -> None:
    one_day = _sign(effective_from=date(2021, 4, 20), effective_until=date(2021, 4, 20))
    assert decide(one_day, agreement_in(Stage.READY_TO_SIGN), CTX)[0].stage == Stage.SIGNED


def test_agreement_may_be_in_force_up_to_five_years() -> None:
    five_years = _sign(effective_until=date(2026, 4, 20))
    assert decide(five_years, agreement_in(Stage.READY_TO_SIGN), CTX)[0].stage == Stage.SIGNED


def test_agreement_in_force_longer_than_five_years_is_refused() -> None:
    too_long = _sign(effective_until=date(2026, 4, 21))
    with pytest.raises(ValidityTooLong, match="effective_until 2026-04-21 is more than 5 "
                       "years after effective_from 2021-04-20; the latest allowed is "
                       "2026-04-20") as refused:
        decide(too_long, agreement_in(Stage.READY_TO_SIGN), CTX)
    assert refused.value.status == 422


def test_five_years_from_a_leap_day_end_on_28_february() -> None:
    assert add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    leap = _sign(signed_on=date(2021, 4, 20), effective_from=date(2020, 2, 29),
                 effective_until=date(2025, 3, 1))
    with pytest.raises(ValidityTooLong, match="latest allowed is 2025-02-28"):
        decide(leap, agreement_in(Stage.READY_TO_SIGN), CTX)


def _child_ready(document: DocumentType,
                 parent_stage: Stage) -> tuple[AgreementState, DecisionContext]:
    parent = agreement_in(parent_stage, agreement_id=PARENT_ID, document_type=DocumentType.MOU)
    ctx = DecisionContext(TODAY, parent=parent)
    child = run(None, propose_cmd(document_type=document, parent_id=PARENT_ID), ctx=ctx)
    ready = run(child, cmd(StartReview), cmd(DraftAgreement), discuss(DiscussionOutcome.AGREED),
                ctx=ctx)
    return ready, ctx


@pytest.mark.parametrize("document", [DocumentType.PKS, DocumentType.ADDENDUM])
def test_child_document_cannot_be_signed_before_its_parent(document: DocumentType) -> None:
    state, ctx = _child_ready(document, Stage.IN_DISCUSSION)
    with pytest.raises(ParentNotSigned, match=f"parent agreement {PARENT_ID} is in stage "
                       f"IN_DISCUSSION; it must be SIGNED before this {document} is signed"):
        decide(_sign(), state, ctx)


def test_child_document_is_signed_once_its_parent_is() -> None:
    state, ctx = _child_ready(DocumentType.PKS, Stage.SIGNED)
    (event,) = decide(_sign(), state, ctx)
    assert isinstance(event, AgreementSigned)
    assert event.parent_id == PARENT_ID


def test_child_document_whose_parent_vanished_is_refused() -> None:
    state, _ = _child_ready(DocumentType.PKS, Stage.SIGNED)
    with pytest.raises(ParentNotFound, match=f"parent agreement {PARENT_ID} does not exist"):
        decide(_sign(), state, CTX)

"""Proposal rules: kind and partner, country, dates, parents, approvals, agencies; errors."""

from __future__ import annotations

import inspect
from datetime import date, timedelta

import pytest

from contracts.common import Authority, DocumentType, Kind, PartnerCategory, Stage
from contracts.events import AgreementProposed
from services.agreements import domain
from services.agreements.domain import (
    AgreementAlreadyExists,
    CountryMismatch,
    DecisionContext,
    DomainError,
    InvalidDates,
    KindCategoryMismatch,
    ParentNotAllowed,
    ParentNotFound,
    ParentRequired,
    decide,
)
from tests.unit.test_agreement_builders import (
    AGREEMENT_ID,
    CTX,
    PARENT_ID,
    TODAY,
    agreement_in,
    partner,
    propose_cmd,
    run,
)

P = PartnerCategory
# Independent statement of docs/domain.md#kpi-formulas: kind -> partner categories, and whether it
# is foreign.
FITS = {
    Kind.KSDD: {P.REGIONAL_GOVERNMENT},
    Kind.KSDPK: {P.THIRD_PARTY, P.OTHER_INSTITUTION},
    Kind.KSDPL: {P.FOREIGN_REGIONAL_GOVERNMENT},
    Kind.KSDLL: {P.FOREIGN_INSTITUTION},
    Kind.SINERGI: {P.MINISTRY_OR_AGENCY, P.STATE_UNIVERSITY},
}
FOREIGN = {Kind.KSDPL, Kind.KSDLL}


def _country(kind: Kind) -> str:
    return "KR" if kind in FOREIGN else "ID"


def test_proposal_starts_the_stream_at_version_one_in_stage_proposed() -> None:
    (event,) = decide(propose_cmd(), None, CTX)
    assert isinstance(event, AgreementProposed)
    assert (event.agreement_id, event.version, event.stage) == (AGREEMENT_ID, 1, Stage.PROPOSED)
    assert event.title == "Galeri UMKM Juara di blibli.com"
    assert event.proposed_on == date(2021, 1, 11)


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("category", list(PartnerCategory))
def test_each_kind_accepts_only_its_partner_categories(kind: Kind, category: P) -> None:
    command = propose_cmd(kind=kind, partner=partner(category, _country(kind)))
    if category in FITS[kind]:
        assert decide(command, None, CTX)[0].stage == Stage.PROPOSED
    else:
        with pytest.raises(KindCategoryMismatch) as refused:
            decide(command, None, CTX)
        assert f"a {kind} agreement needs a partner of category" in str(refused.value)
        assert f"not {category}" in str(refused.value)


def test_sister_province_agreement_with_a_company_is_refused_by_name() -> None:
    command = propose_cmd(kind=Kind.KSDPL, partner=partner(P.THIRD_PARTY, "KR"))
    with pytest.raises(KindCategoryMismatch) as refused:
        decide(command, None, CTX)
    assert str(refused.value) == ("a KSDPL agreement needs a partner of category "
                                  "FOREIGN_REGIONAL_GOVERNMENT, not THIRD_PARTY")
    assert refused.value.status == 422


def test_every_co_partner_must_fit_the_kind() -> None:
    command = propose_cmd(kind=Kind.KSDD, partner=partner(P.REGIONAL_GOVERNMENT),
                          co_partners=[partner(P.REGIONAL_GOVERNMENT, name="Kab. Bekasi"),
                                       partner(P.THIRD_PARTY, name="PT Maju")])
    with pytest.raises(KindCategoryMismatch, match="co-partner 'PT Maju' of category "
                       "REGIONAL_GOVERNMENT, not THIRD_PARTY"):
        decide(command, None, CTX)


@pytest.mark.parametrize("kind", [Kind.KSDD, Kind.KSDPK, Kind.SINERGI])
def test_domestic_kind_needs_a_partner_in_indonesia(kind: Kind) -> None:
    category = next(iter(FITS[kind]))
    command = propose_cmd(kind=kind, partner=partner(category, "MY"))
    with pytest.raises(CountryMismatch, match=f"a {kind} agreement needs a partner in "
                       r"Indonesia \(ID\), not country MY"):
        decide(command, None, CTX)


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_foreign_kind_needs_a_partner_outside_indonesia(kind: Kind) -> None:
    category = next(iter(FITS[kind]))
    command = propose_cmd(kind=kind, partner=partner(category, "ID"))
    with pytest.raises(CountryMismatch, match=f"a {kind} agreement needs a partner outside "
                       "Indonesia, not country ID"):
        decide(command, None, CTX)


def test_co_partner_country_must_fit_the_kind() -> None:
    command = propose_cmd(kind=Kind.KSDLL, partner=partner(P.FOREIGN_INSTITUTION, "US"),
                          co_partners=[partner(P.FOREIGN_INSTITUTION, "ID", "Lembaga")])
    with pytest.raises(CountryMismatch, match="co-partner 'Lembaga' outside Indonesia"):
        decide(command, None, CTX)


def test_proposal_dated_in_the_future_is_refused() -> None:
    tomorrow = TODAY + timedelta(days=1)
    with pytest.raises(InvalidDates, match=f"proposed_on {tomorrow} is in the future"):
        decide(propose_cmd(proposed_on=tomorrow), None, CTX)


def test_proposal_without_a_date_is_dated_today() -> None:
    (event,) = decide(propose_cmd(proposed_on=None), None, CTX)
    assert isinstance(event, AgreementProposed)
    assert event.proposed_on == TODAY


@pytest.mark.parametrize("document", [DocumentType.LOI, DocumentType.MOU])
def test_letter_of_intent_or_memorandum_cannot_name_a_parent(document: DocumentType) -> None:
    command = propose_cmd(document_type=document, parent_id=PARENT_ID)
    with pytest.raises(ParentNotAllowed, match=f"a {document} cannot name a parent"):
        decide(command, None, CTX)


def test_addendum_needs_the_agreement_it_amends() -> None:
    with pytest.raises(ParentRequired, match="an ADDENDUM needs a parent_id"):
        decide(propose_cmd(document_type=DocumentType.ADDENDUM), None, CTX)


def test_parent_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ParentNotFound, match=f"parent agreement {PARENT_ID} does not exist"):
        decide(propose_cmd(parent_id=PARENT_ID), None, CTX)


@pytest.mark.parametrize("document", [DocumentType.PKS, DocumentType.ADDENDUM])
def test_implementation_agreement_or_addendum_names_an_existing_parent(
        document: DocumentType) -> None:
    parent = run(None, propose_cmd(agreement_id=PARENT_ID, document_type=DocumentType.MOU))
    command = propose_cmd(document_type=document, parent_id=PARENT_ID)
    (event,) = decide(command, None, DecisionContext(TODAY, parent=parent))
    assert isinstance(event, AgreementProposed)
    assert event.parent_id == PARENT_ID


def test_implementation_agreement_may_stand_without_a_parent() -> None:
    assert decide(propose_cmd(document_type=DocumentType.PKS), None, CTX)[0].version == 1


def test_proposing_an_existing_agreement_conflicts() -> None:
    with pytest.raises(AgreementAlreadyExists, match=f"agreement {AGREEMENT_ID} already "
                       "exists") as refused:
        decide(propose_cmd(), agreement_in(Stage.IN_REVIEW), CTX)
    assert refused.value.status == 409


def test_existing_agreement_conflict_comes_before_rule_checks() -> None:
    broken = propose_cmd(kind=Kind.KSDD)  # third party partner: would be a 422
    with pytest.raises(AgreementAlreadyExists):
        decide(broken, agreement_in(Stage.PROPOSED), CTX)


def test_proposal_without_an_id_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="agreement id"):
        decide(propose_cmd(agreement_id=None), None, CTX)


@pytest.mark.parametrize(("kind", "category", "burdens", "expected"), [
    (Kind.KSDPK, P.THIRD_PARTY, False, []),
    (Kind.KSDPK, P.THIRD_PARTY, True, [Authority.DPRD]),
    (Kind.KSDD, P.REGIONAL_GOVERNMENT, True, [Authority.DPRD]),
    (Kind.SINERGI, P.STATE_UNIVERSITY, False, []),
    (Kind.KSDPL, P.FOREIGN_REGIONAL_GOVERNMENT, False,
     [Authority.DPRD, Authority.CENTRAL_GOVERNMENT]),
    (Kind.KSDLL, P.FOREIGN_INSTITUTION, True, [Authority.DPRD, Authority.CENTRAL_GOVERNMENT]),
])
def test_required_approvals_follow_budget_and_foreign_partner(
        kind: Kind, category: P, burdens: bool, expected: list[Authority]) -> None:
    command = propose_cmd(kind=kind, partner=partner(category, _country(kind)),
                          burdens_budget=burdens)
    (event,) = decide(command, None, CTX)
    assert isinstance(event, AgreementProposed)
    assert event.required_approvals == expected
    assert run(None, command).required_approvals == frozenset(expected)


def test_supporting_agencies_are_deduplicated_and_exclude_the_lead_agency() -> None:
    command = propose_cmd(lead_opd="DISKUK",
                          supporting_opds=["DISKOMINFO", "DISKUK", "BAPPEDA", "DISKOMINFO"])
    state = run(None, command)
    assert state.supporting_opds == ("DISKOMINFO", "BAPPEDA")


def test_every_error_says_when_it_is_raised_and_how_it_is_answered() -> None:
    errors = [e for e in vars(domain).values()
              if inspect.isclass(e) and issubclass(e, DomainError) and e is not DomainError]
    assert len(errors) >= 18
    for error in errors:
        assert (error.__doc__ or "").startswith("Raised when "), error
        assert error.status in {403, 404, 409, 422}
        assert error.title and error.problem_type.replace("-", "").isalpha()

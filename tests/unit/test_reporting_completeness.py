"""Which figures a parked stream may be missing from (docs/domain.md#boundaries)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from contracts.common import DocumentType, Kind, Stage
from contracts.kpi import Indicator
from services.reporting.domain import AgreementFacts, FigureKey
from services.reporting.domain.completeness import COMPLETE, incomplete

FACTS = AgreementFacts(id=uuid4(), title="t", kind=Kind.KSDPK, document_type=DocumentType.MOU,
                       lead_opd="DISKUK", plan_year=2021, proposed_on=date(2021, 1, 11),
                       stage=Stage.IN_REVIEW, version=2)


def key(scope: str, year: int = 2021, indicator: Indicator = Indicator.REALIZATION
        ) -> FigureKey:
    return FigureKey(indicator, year, scope)


def test_nothing_parked_leaves_every_figure_complete() -> None:
    assert incomplete([]) == COMPLETE
    assert COMPLETE.complete(key("province"))


def test_a_parked_agreement_marks_its_scopes_in_every_year_and_no_other() -> None:
    gaps = incomplete([(str(FACTS.id), FACTS)])
    for scope in ("province", "opd:DISKUK", "kind:KSDPK", "type:MOU", "stage:IN_REVIEW"):
        for year in (1980, 2021, 2099):
            assert not gaps.complete(key(scope, year))
    for scope in ("opd:BAPPEDA", "kind:KSDD", "type:PKS", "stage:SIGNED"):
        assert gaps.complete(key(scope))


def test_a_parked_stream_of_an_unknown_agreement_marks_the_province_of_every_year() -> None:
    gaps = incomplete([(str(uuid4()), None)])
    assert not gaps.complete(key("province", 1995))
    assert gaps.complete(key("opd:DISKUK"))


def test_a_parked_work_program_marks_every_figure_of_its_year() -> None:
    gaps = incomplete([("work-program-2022", None)])
    assert not gaps.complete(key("opd:DISKUK", 2022, Indicator.EFFECTIVENESS))
    assert gaps.complete(key("province", 2021))

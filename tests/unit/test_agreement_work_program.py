"""The year's work program: targets adopted, then replaced, on stream work-program-<year>."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.commands import AdoptWorkProgram
from contracts.examples import example_of
from services.agreements.domain import (
    DecisionContext,
    WorkProgramState,
    decide_work_program,
    evolve_work_program,
    work_program_stream_id,
)

CTX = DecisionContext(today=date(2021, 2, 18))


def _adopt(year: int = 2021, realization: float = 80, effectiveness: float = 60,
           **more: object) -> AdoptWorkProgram:
    values = {"priorities": [], "mapping_due_on": None, **more}
    return example_of(AdoptWorkProgram, year=year, realization_target=realization,
                      effectiveness_target=effectiveness, **values)


def test_first_adoption_starts_the_year_stream() -> None:
    (event,) = decide_work_program(_adopt(), None, CTX)
    assert (event.year, event.version, event.stage) == (2021, 1, "ADOPTED")
    assert (event.realization_target, event.effectiveness_target) == (80, 60)
    state = evolve_work_program(None, event)
    assert state == WorkProgramState(2021, 1, 80, 60)
    assert state.stream_id == work_program_stream_id(2021) == "work-program-2021"


def test_adopting_again_replaces_the_targets_with_a_new_version() -> None:
    state = evolve_work_program(None, decide_work_program(_adopt(), None, CTX)[0])
    (event,) = decide_work_program(_adopt(realization=85, effectiveness=65), state, CTX)
    assert (event.version, event.stage) == (2, "ADOPTED")
    assert evolve_work_program(state, event) == WorkProgramState(2021, 2, 85, 65)


def test_work_program_of_another_year_is_a_programming_error() -> None:
    state = evolve_work_program(None, decide_work_program(_adopt(2021), None, CTX)[0])
    with pytest.raises(ValueError, match="2022"):
        decide_work_program(_adopt(2022), state, CTX)


def test_work_program_events_apply_in_version_order_only() -> None:
    first = decide_work_program(_adopt(), None, CTX)[0]
    with pytest.raises(ValueError, match="does not follow"):
        evolve_work_program(evolve_work_program(None, first), first)


def test_the_program_carries_the_years_priorities_and_mapping_due_date() -> None:
    priorities = [{"code": "PEMULIHAN_EKONOMI", "name": "Pemulihan ekonomi daerah"},
                  {"code": "ASET", "name": "Optimalisasi aset"}]
    first = decide_work_program(_adopt(priorities=priorities,
                                       mapping_due_on=date(2021, 3, 31)), None, CTX)[0]
    state = evolve_work_program(None, first)
    assert state.priorities == (("PEMULIHAN_EKONOMI", "Pemulihan ekonomi daerah"),
                                ("ASET", "Optimalisasi aset"))
    assert state.priority_codes == {"PEMULIHAN_EKONOMI", "ASET"}
    assert state.mapping_due_on == date(2021, 3, 31)
    # the body is the whole program: adopting again without them clears them
    state = evolve_work_program(state, decide_work_program(_adopt(), state, CTX)[0])
    assert (state.priorities, state.mapping_due_on) == ((), None)


def test_a_priority_code_given_twice_is_refused() -> None:
    twice = [{"code": "ASET", "name": "Aset"}, {"code": "ASET", "name": "Aset daerah"}]
    with pytest.raises(ValueError, match="ASET is given twice"):
        _adopt(priorities=twice)

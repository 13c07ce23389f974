"""The business clock: WIB dates, settable in-process, by env and by a shared file."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from plumbing import clock
from plumbing.errors import ConfigError

SEVEN_HOURS = timedelta(hours=7)


@pytest.fixture(autouse=True)
def real_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(clock.CLOCK_ENV, raising=False)
    monkeypatch.delenv(clock.CLOCK_FILE_ENV, raising=False)
    clock.set_clock(None)
    yield
    clock.set_clock(None)


def test_unset_clock_is_real_time_in_wib() -> None:
    before = datetime.now(UTC)
    now = clock.now()
    assert before <= now <= datetime.now(UTC)
    assert now.utcoffset() == SEVEN_HOURS
    assert clock.today() == datetime.now(clock.WIB).date()


def test_business_date_is_the_date_in_jakarta_not_utc() -> None:
    clock.set_clock(datetime(2021, 2, 17, 20, 30, tzinfo=UTC))
    assert clock.today() == date(2021, 2, 18)
    assert clock.now() == datetime(2021, 2, 18, 3, 30, tzinfo=clock.WIB)


def test_naive_datetime_is_taken_as_wib() -> None:
    clock.set_clock(datetime(2021, 2, 18, 23, 59))
    assert clock.now().utcoffset() == SEVEN_HOURS
    assert clock.now().hour == 23
    assert clock.today() == date(2021, 2, 18)


def test_a_date_sets_midnight_wib() -> None:
    clock.set_clock(date(2020, 12, 31))
    assert clock.now() == datetime(2020, 12, 31, tzinfo=clock.WIB)
    assert clock.today() == date(2020, 12, 31)


def test_frozen_restores_the_previous_setting() -> None:
    clock.set_clock(date(2020, 1, 1))
    with clock.frozen(date(2021, 6, 1)) as moment:
        assert moment.date() == date(2021, 6, 1)
        assert clock.today() == date(2021, 6, 1)
    assert clock.today() == date(2020, 1, 1)


def test_env_variable_fixes_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.CLOCK_ENV, "2021-02-18T09:30:00+07:00")
    assert clock.now() == datetime(2021, 2, 18, 9, 30, tzinfo=clock.WIB)
    monkeypatch.setenv(clock.CLOCK_ENV, "2022-03-01")
    assert clock.today() == date(2022, 3, 1)


def test_in_process_setting_wins_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.CLOCK_ENV, "2022-03-01")
    with clock.frozen(date(2023, 1, 1)):
        assert clock.today() == date(2023, 1, 1)
    assert clock.today() == date(2022, 3, 1)


def test_clock_file_is_reread_when_it_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "clock"
    clock.write_clock_file(path, date(2021, 2, 18))
    monkeypatch.setenv(clock.CLOCK_FILE_ENV, str(path))
    assert clock.today() == date(2021, 2, 18)
    clock.write_clock_file(path, datetime(2021, 5, 20, 8, 0))
    assert clock.now() == datetime(2021, 5, 20, 8, 0, tzinfo=clock.WIB)
    clock.write_clock_file(path, None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_clock_file_moves_the_clock_of_another_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "clock"
    clock.write_clock_file(path, date(2021, 2, 18))
    script = (
        "import sys\nfrom plumbing import clock\n"
        "for _ in sys.stdin:\n    print(clock.today(), flush=True)\n"
    )
    env = {"KERJASAMA_CLOCK_FILE": str(path), "PATH": "/usr/bin:/bin"}
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=env,
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "2021-02-18"
        clock.write_clock_file(path, date(2024, 7, 1))
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "2024-07-01"
        child.stdin.close()
        assert child.wait(timeout=10) == 0


@pytest.mark.parametrize("bad", ["tomorrow", "2021-13-01", "18/02/2021"])
def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv(clock.CLOCK_ENV, bad)
    with pytest.raises(ConfigError, match=rf"KERJASAMA_CLOCK: .*{re.escape(bad)}"):
        clock.now()


def test_bad_clock_file_names_the_variable_and_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "clock"
    path.write_text("next tuesday")
    monkeypatch.setenv(clock.CLOCK_FILE_ENV, str(path))
    with pytest.raises(ConfigError, match=r"KERJASAMA_CLOCK_FILE.*next tuesday"):
        clock.today()


def test_missing_clock_file_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(clock.CLOCK_FILE_ENV, str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="KERJASAMA_CLOCK_FILE: cannot read"):
        clock.today()

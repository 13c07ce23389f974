"""Migration files are read in version order and badly named ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from plumbing.errors import MigrationError
from plumbing.migrations import load_migrations


def test_files_are_ordered_by_version_number(tmp_path: Path) -> None:
    (tmp_path / "010_later.sql").write_text("SELECT 10")
    (tmp_path / "002_second.sql").write_text("SELECT 2")
    (tmp_path / "001_first.sql").write_text("SELECT 1")
    (tmp_path / "README.md").write_text("not a migration")
    loaded = load_migrations(tmp_path)
    assert [(m.version, m.name) for m in loaded] == [(1, "first"), (2, "second"), (10, "later")]
    assert loaded[0].checksum != loaded[1].checksum


@pytest.mark.parametrize("name", ["1_short.sql", "001-dash.sql", "001_with space.sql"])
def test_badly_named_sql_file_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("SELECT 1")
    with pytest.raises(MigrationError, match=r"NNN_name\.sql"):
        load_migrations(tmp_path)


def test_a_version_used_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "001_a.sql").write_text("SELECT 1")
    (tmp_path / "0001_b.sql").write_text("SELECT 1")
    with pytest.raises(MigrationError, match="used twice"):
        load_migrations(tmp_path)

"""The shared business clock, in Asia/Jakarta (WIB).

Every business date comes from :func:`now` and :func:`today`. Unset, they give real
time. Tests set the clock, in order of precedence:

1. in-process, with :func:`set_clock` or the :func:`frozen` context manager;
2. ``KERJASAMA_CLOCK``: an ISO date or datetime, fixed for one process;
3. ``KERJASAMA_CLOCK_FILE``: the path of a file holding an ISO date or datetime, re-read
   whenever the file changes, so an end-to-end test moves the clock of every process at
   once (write it with :func:`write_clock_file`; an empty file means real time).

A date means midnight WIB of that date; a naive datetime is taken as WIB.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from plumbing.errors import ConfigError

WIB = ZoneInfo("Asia/Jakarta")
CLOCK_ENV = "KERJASAMA_CLOCK"
CLOCK_FILE_ENV = "KERJASAMA_CLOCK_FILE"

_override: datetime | None = None
_env_cache: tuple[str, datetime] | None = None
_file_cache: tuple[tuple[str, int, int, int], datetime | None] | None = None


def to_wib(value: datetime | date) -> datetime:
    """An aware WIB datetime: dates become midnight WIB, naive datetimes are taken as WIB."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=WIB)
        return value.astimezone(WIB)
    return datetime(value.year, value.month, value.day, tzinfo=WIB)


def parse(text: str, source: str) -> datetime:
    """Parse an ISO date or datetime; ``source`` names where it came from, for the error."""
    text = text.strip()
    try:
        if len(text) == 10:
            return to_wib(date.fromisoformat(text))
        return to_wib(datetime.fromisoformat(text))
    except ValueError:
        raise ConfigError(
            f"{source}: expected an ISO date or datetime such as 2021-02-18 or "
            f"2021-02-18T09:30:00+07:00 (got {text!r})"
        ) from None


def set_clock(value: datetime | date | None) -> None:
    """Fix the clock of this process at ``value``; ``None`` goes back to the environment."""
    global _override
    _override = None if value is None else to_wib(value)


@contextmanager
def frozen(value: datetime | date) -> Iterator[datetime]:
    """Fix the clock at ``value`` inside the block, then restore the previous setting."""
    previous = _override
    set_clock(value)
    try:
        yield now()
    finally:
        set_clock(previous)


def _from_env() -> datetime | None:
    global _env_cache
    text = os.environ.get(CLOCK_ENV, "")
    if not text.strip():
        return None
    if _env_cache is None or _env_cache[0] != text:
        _env_cache = (text, parse(text, CLOCK_ENV))
    return _env_cache[1]


def _from_file() -> datetime | None:
    global _file_cache
    path = os.environ.get(CLOCK_FILE_ENV, "")
    if not path.strip():
        return None
    try:
        st = os.stat(path)
        key = (path, st.st_ino, st.st_mtime_ns, st.st_size)
        if _file_cache is not None and _file_cache[0] == key:
            return _file_cache[1]
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{CLOCK_FILE_ENV}: cannot read {path!r}: {exc.strerror}") from None
    value = parse(text, f"{CLOCK_FILE_ENV} ({path})") if text.strip() else None
    _file_cache = (key, value)
    return value


def now() -> datetime:
    """The current business time: an aware datetime in WIB."""
    if _override is not None:
        return _override
    fixed = _from_env() or _from_file()
    return fixed if fixed is not None else datetime.now(WIB)


def today() -> date:
    """The current business date in WIB."""
    return now().date()


def write_clock_file(path: Path, value: datetime | date | None) -> None:
    """Atomically set the clock file read through ``KERJASAMA_CLOCK_FILE``.

    ``None`` writes an empty file: real time. The file is replaced, never rewritten in
    place, so a process never reads it half-written.
    """
    text = "" if value is None else to_wib(value).isoformat()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text + "\n" if text else "", encoding="utf-8")
    os.replace(tmp, path)

"""Inputs at and beyond the contract's edges, each knowing whether the contract accepts it.

docs/domain.md#boundaries: one domain of business dates, 1980-01-01 to 2099-12-31 inclusive, for
every date of every command and every year; short text (titles, names, numbers, reasons) refuses
C0/C1 control characters and U+2028/U+2029; long text (objectives, summaries, notes) may hold LF and
TAB, CRLF is stored as LF, a lone CR or any other control is refused. Control characters are put
inside the text, never at its ends, so that whether a service strips surrounding whitespace does not
matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

BUSINESS_DATE_MIN = date(1980, 1, 1)
BUSINESS_DATE_MAX = date(2099, 12, 31)


def in_domain(day: date) -> bool:
    return BUSINESS_DATE_MIN <= day <= BUSINESS_DATE_MAX


def year_in_domain(year: int) -> bool:
    return BUSINESS_DATE_MIN.year <= year <= BUSINESS_DATE_MAX.year


@dataclass(frozen=True)
class Text:
    """A text as sent, whether the contract accepts it, and how it is stored."""

    sent: str
    ok: bool = True
    stored: str | None = None

    @property
    def expected(self) -> str:
        return self.sent if self.stored is None else self.stored

    def __repr__(self) -> str:  # shown in Hypothesis' shortest failing sequence
        return f"Text({self.sent!r}{'' if self.ok else ', ok=False'})"


_SHORT_OK = ["Kerja sama UMKM", "Kerja sama 🤝 digital", "Café e\u0301 Bandung",
             "👩\u200d💻 program", "合作 — ٱلتعاون"]
_SHORT_BAD = ["\r", "\n", "\x0b", "\x85", "\u2028", "\u2029", "\t", "\x1b", "\x9b", "\x00"]
_LONG_OK = ["Tujuan kerja sama", "Baris satu\nbaris dua", "Kolom\tdua",
            "Emoji 🎉 dan e\u0301"]
_LONG_BAD = ["\r", "\x0b", "\x85", "\u2028", "\u2029", "\x1b", "\x00"]

SHORT_TEXTS: list[Text] = [Text(t) for t in _SHORT_OK] + [
    Text(f"Judul{c}baru", ok=False) for c in _SHORT_BAD]
"""Short texts: every control character inside a title, name, number or reason."""
LONG_TEXTS: list[Text] = [Text(t) for t in _LONG_OK] + [
    Text("Baris satu\r\nbaris dua", stored="Baris satu\nbaris dua")] + [
    Text(f"Baris{c}dua", ok=False) for c in _LONG_BAD]
"""Long texts: LF, TAB and CRLF accepted, a lone CR and other controls refused."""

EDGE_DATES = {"min-1": date(1979, 12, 31), "min": BUSINESS_DATE_MIN,
              "max": BUSINESS_DATE_MAX, "max+1": date(2100, 1, 1), "year1": date(1, 1, 1)}
RELATIVE = ("low", "mid", "today", "before", "future")
WHEN = RELATIVE + tuple(EDGE_DATES)
"""How a date is chosen: relative to the earliest date a rule allows (``low``: that date,
``before``: the day before, ``mid``: halfway to today, ``future``: tomorrow) or one of
the edges of the business-date domain."""


def resolve(when: str, low: date, today: date) -> date:
    """The date ``when`` names, for a rule whose earliest allowed date is ``low``."""
    if when in EDGE_DATES:
        return EDGE_DATES[when]
    if when == "low":
        return low
    if when == "before":
        return low - timedelta(days=1)
    if when == "future":
        return today + timedelta(days=1)
    if when == "mid" and low < today:
        return low + (today - low) // 2
    return today


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


UNTIL = ("year", "short", "max", "too_long", "before", "edge_max", "edge_max+1")
"""How ``effective_until`` is chosen from ``effective_from``."""


START = ("signed", "later", "earlier", "far", "min", "min-1")
"""How ``effective_from`` is chosen from ``signed_on``."""


def resolve_start(how: str, signed_on: date) -> date:
    """``effective_from`` for ``signed_on``."""
    offsets = {"signed": 0, "later": 30, "earlier": -30}
    if how in offsets:
        return signed_on + timedelta(days=offsets[how])
    return {"far": date(2095, 1, 1), "min": BUSINESS_DATE_MIN}.get(how, EDGE_DATES["min-1"])


def resolve_until(how: str, start: date) -> date:
    """``effective_until`` for ``effective_from`` = ``start``."""
    if how == "short":
        return start + timedelta(days=60)
    if how == "year":
        return add_years(start, 1) - timedelta(days=1)
    if how == "max":
        return add_years(start, 5)
    if how == "too_long":
        return add_years(start, 5) + timedelta(days=1)
    if how == "before":
        return start - timedelta(days=1)
    return BUSINESS_DATE_MAX if how == "edge_max" else EDGE_DATES["max+1"]

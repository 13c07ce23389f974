"""Words, numbers and dates of the yearly report in its language: the renderers get the
report's text table (``entrypoints.report_text``) and read it through :class:`Words`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from plumbing.tables import rupiah

EVENT_PREFIX = "kerjasama.agreement."
_SWAP_SEPARATORS = str.maketrans(",.", ".,")


class Words:
    """One language's texts and its way of writing numbers and dates."""

    def __init__(self, text: Mapping[str, str]) -> None:
        self.text = text
        self.months = text["months"].split()

    def __call__(self, key: str, **values: object) -> str:
        """The text of ``key`` with ``values`` filled in."""
        return self.text[key].format(**values) if values else self.text[key]

    def day(self, value: date | None) -> str:
        """``17 Agustus 2021`` / ``17 August 2021``; ``-`` for none."""
        if value is None:
            return "-"
        return f"{value.day} {self.months[value.month - 1]} {value.year}"

    def short(self, value: date | None) -> str:
        """``17/08/2021`` / ``2021-08-17``; ``-`` for none."""
        return "-" if value is None else value.strftime(self.text["short_date"])

    def moment(self, value: datetime) -> str:
        """A WIB time of day with its date."""
        return self("at_time", date=self.day(value.date()), time=value.strftime("%H:%M"))

    def number(self, value: int | float | None) -> str:
        """A count, or a percentage with two decimals, with the language's separators
        (``1.234,50`` / ``1,234.50``); ``-`` for none."""
        if value is None:
            return "-"
        shown = f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
        if self.text["decimal"] == ",":
            shown = shown.translate(_SWAP_SEPARATORS)
        return shown

    def rupiah(self, value: int) -> str:
        """Whole rupiah as the language writes them (plumbing.tables.rupiah)."""
        return rupiah(value, self.text["lang"])

    def event(self, event_type: str) -> str:
        """An event type as words (``Penandatanganan`` for ``…agreement.signed.v1``)."""
        short = event_type.removeprefix(EVENT_PREFIX).rsplit(".v", 1)[0]
        return self.text.get(f"event_{short}", short)

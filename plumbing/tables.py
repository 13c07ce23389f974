"""Plain-text tables for the terminal."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.kpi import Period, day_taken, period_of

KPI_COLUMNS = ("indicator", "scope", "numerator", "denominator", "value", "target",
               "achievement")
KPI_ORDER = ("realization", "effectiveness", "sleeping", "expiring_90_days",
             "signing_days_median", "signing_days_p90", "agreements")


def cell(value: Any) -> str:
    """A value as shown in a table: ``-`` for null, numbers without noise."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]],
          widths: Sequence[int] | None = None) -> str:
    """Left-aligned columns separated by two spaces, with a header rule; ``widths``: at
    least these (so that several tables line up)."""
    cells = [[cell(v) for v in row] for row in rows]
    least = widths or [0] * len(headers)
    widths = [max([len(h), least[i], *(len(r[i]) for r in cells)])
              for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    return "\n".join(lines)


def kpi_sort_key(item: dict[str, Any]) -> tuple[int, int, str]:
    """Headline indicators first, the province before other scopes."""
    indicator = str(item.get("indicator"))
    rank = KPI_ORDER.index(indicator) if indicator in KPI_ORDER else len(KPI_ORDER)
    return rank, 0 if item.get("scope") == "province" else 1, str(item.get("scope"))


@dataclass(frozen=True)
class KpiPoint:
    """Where a KPI table stands: on ``day``, today (``today``) or the day by whose end the
    figures were recorded (``--as-of``); ``position``, the feed position when one was
    asked for."""

    day: date
    today: bool = True
    position: int | None = None

    def label(self) -> str:
        """``2026-11-30 (today)``, ``the end of 2021-06-30``, with ``, position N``."""
        when = f"{self.day} (today)" if self.today else f"the end of {self.day}"
        return when if self.position is None else f"{when}, position {self.position}"


def kpi_heading(period: Period, year: int, point: KpiPoint) -> str:
    """The heading over the figures of ``year`` that are about ``period`` (a table shows
    each apart: contracts.kpi.Period says what each figure is about)."""
    if period == Period.YEAR:
        if point.day >= date(year, 12, 31):
            return f"{year}, counted over the year"
        if point.day < date(year, 1, 1):  # planned ahead: nothing of it has happened yet
            return f"{year}, not begun by {point.label()}"
        return f"{year} so far, counted from 1 January to {point.label()}"
    taken = day_taken(year, point.day)
    if period == Period.DAY and taken < point.day:
        return f"On {taken}, the last day of {year}"
    return f"As of {point.label()}"


def kpi_table(items: Iterable[dict[str, Any]], scopes: str | None = "province",
              point: KpiPoint | None = None) -> str:
    """The KPI figures of a year; ``scopes`` a scope or scope prefix (None: all).

    With ``point``: in headed sections, the figures counted over the year apart from
    those of one day (``sleeping``, ``expiring_90_days``: on the last day of a past year,
    else on the point's day) and from those of the year's agreements and items as they
    stand at the point (:class:`contracts.kpi.Period`); sections with the same heading
    are one.
    """
    chosen = [i for i in items if scopes is None or str(i.get("scope", "")).startswith(scopes)]
    if not chosen:
        return "(no figures)"
    chosen.sort(key=kpi_sort_key)
    rows = [[i.get(c) for c in KPI_COLUMNS] for i in chosen]
    if point is None:
        return table(KPI_COLUMNS, rows)
    sections: dict[str, list[list[Any]]] = {}
    for period in Period:
        for item, row in zip(chosen, rows, strict=True):
            if period_of(str(item.get("indicator")), str(item.get("scope"))) == period:
                heading = kpi_heading(period, int(item["year"]), point)
                sections.setdefault(heading, []).append(row)
    widths = [max([len(h), *(len(cell(r[k])) for r in rows)])
              for k, h in enumerate(KPI_COLUMNS)]
    return "\n\n".join(f"{heading}:\n" + table(KPI_COLUMNS, found, widths)
                       for heading, found in sections.items())


_OUTCOME = re.compile(r'^kerjasama_messages_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$')


def gap_fills_and_duplicates(metrics: str) -> tuple[int, int]:
    """From a consumer's ``/metrics`` page: the deliveries that took the gap-filling path
    and the duplicates; both zero when nothing was lost."""
    fills = duplicates = 0
    for line in metrics.splitlines():
        match = _OUTCOME.match(line)
        if match is None:
            continue
        if 'outcome="applied_with_gap_filled"' in match["labels"]:
            fills += int(float(match["value"]))
        elif 'outcome="duplicate"' in match["labels"]:
            duplicates += int(float(match["value"]))
    return fills, duplicates


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as it is: text starting with ``=``, ``+``, ``-`` or
    ``@`` would run as a formula, so it gets a leading ``'``; None is an empty cell."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def rupiah(amount: float | None, lang: str) -> str:
    """Whole rupiah as each language writes them: ``Rp 1.250.000.000`` (Bahasa
    Indonesia), ``IDR 1,250,000,000`` (English); ``-`` for none. One way for every page,
    report and table that shows an amount."""
    if amount is None:
        return "-"
    grouped = f"{round(amount):,}"
    return f"Rp {grouped.replace(',', '.')}" if lang == "id" else f"IDR {grouped}"

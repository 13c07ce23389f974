"""Charts drawn on the server as SVG (no script): horizontal bars with a target mark. Each
chart has a title and a description for screen readers; the page shows its numbers in a
table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

BAR_HEIGHT = 24
GAP = 8
LABEL_WIDTH = 190
BAR_WIDTH = 300
VALUE_WIDTH = 80


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (a percentage or a count) and an optional target."""

    label: str
    value: float | None
    target: float | None = None
    provisional: bool = False


def bars(key: str, title: str, description: str, rows: Sequence[Bar], *, unit: str = "%",
         scale: float | None = None) -> str:
    """An SVG of horizontal bars; ``scale`` is the value of a full bar (the largest value
    or target, at least 100 for percentages, when None)."""
    top = max([scale or 0.0, *(r.value or 0 for r in rows), *(r.target or 0 for r in rows),
               100.0 if unit == "%" else 1.0])
    height = max(1, len(rows)) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
             f'viewBox="0 0 {width} {height}" aria-labelledby="{key}-t {key}-d">'
             f'<title id="{key}-t">{escape(title)}</title>'
             f'<desc id="{key}-d">{escape(description)}</desc>']
    for i, row in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = 0.0 if row.value is None else BAR_WIDTH * row.value / top
        shown = "-" if row.value is None else f"{row.value:g}{unit if unit == '%' else ''}"
        fill = "#8a9bb0" if row.provisional else "#1f5f8b"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 17}" text-anchor="end" '
                     f'font-size="14">{escape(_short(row.label))}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
                     f'height="{BAR_HEIGHT}" fill="{fill}"/>')
        if row.target is not None:
            x = LABEL_WIDTH + BAR_WIDTH * row.target / top
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 3}" '
                         f'y2="{y + BAR_HEIGHT + 3}" stroke="#c0392b" stroke-width="3"/>')
        parts.append(f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 17}" '
                     f'font-size="14">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, width: int = 24) -> str:
    return label if len(label) <= width else label[:width - 1] + "…"

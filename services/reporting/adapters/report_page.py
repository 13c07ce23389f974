"""The page of the yearly report's PDF: A4 landscape, its font (Bitstream Vera, shipped
with ReportLab, embedded), its colours and paragraph styles, and the canvas that numbers
the pages "Halaman X dari Y" once their number is known."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

_FONTS = Path(reportlab.__file__).parent / "fonts"
for _name, _file in (("Vera", "Vera.ttf"), ("Vera-Bold", "VeraBd.ttf")):
    pdfmetrics.registerFont(TTFont(_name, str(_FONTS / _file)))
PAGE = landscape(A4)
MARGIN = 15 * mm
WIDTH = PAGE[0] - 2 * MARGIN
INK, RULE, SHADE = colors.HexColor("#1f2933"), colors.HexColor("#9aa5b1"), \
    colors.HexColor("#e4e7eb")


def style(size: float, *, bold: bool = False, align: Literal[0, 1, 2] = 0,
          **more: Any) -> ParagraphStyle:
    """A paragraph style in the report's font and ink."""
    more.setdefault("fontName", "Vera-Bold" if bold else "Vera")
    return ParagraphStyle(f"s{size}{bold}{align}", fontSize=size, leading=size * 1.3,
                          alignment=align, textColor=INK, **more)


def numbered_canvas(footer: str, page_of: Callable[[int, int], str],
                    stamp: str) -> type[Canvas]:
    """A canvas that writes ``footer`` and ``page_of(page, pages)`` at the foot of every
    page, and ``stamp`` (a PDF date) as the document's creation and change date."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.setDateFormatter(lambda *_: stamp)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # the pages are drawn at save, when all are known
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont("Vera", 7.5)
                self.setFillColor(RULE)
                self.drawString(MARGIN, 9 * mm, footer)
                self.drawRightString(PAGE[0] - MARGIN, 9 * mm,
                                     page_of(number, len(self._pages)))
                super().showPage()
            super().save()
    return NumberedCanvas

"""The demo's signed texts: a one-page PDF per signed agreement, made the same, byte for
byte, on every run (so that the demo's second load is answered from the first)."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas


def signed_text(proposal: dict[str, Any], signing: dict[str, Any]) -> bytes:
    """A PDF that stands for the signed text (naskah) of a demo agreement."""
    out = io.BytesIO()
    page = Canvas(out, pagesize=A4, invariant=True, pageCompression=1)
    page.setTitle(str(proposal["title"]))
    page.setAuthor("Pemerintah Daerah Provinsi Jawa Barat")
    width, height = A4
    y = height - 3 * cm
    page.setFont("Helvetica-Bold", 13)
    page.drawCentredString(width / 2, y, f"{proposal['document_type']} "
                           f"NOMOR {signing['number']}")
    lines = [("Helvetica-Bold", str(proposal["title"])), ("Helvetica", ""),
             ("Helvetica", "antara"),
             ("Helvetica-Bold", "PEMERINTAH DAERAH PROVINSI JAWA BARAT"),
             ("Helvetica", "dengan"),
             ("Helvetica-Bold", str(proposal["partner"]["name"]).upper()), ("Helvetica", ""),
             ("Helvetica", f"Ditandatangani pada {signing['signed_on']}, berlaku "
                           f"{signing['effective_from']} s.d. {signing['effective_until']}."),
             ("Helvetica-Oblique", "Naskah contoh untuk demonstrasi kerjasama.")]
    for font, text in lines:
        y -= 0.8 * cm
        page.setFont(font, 11)
        page.drawCentredString(width / 2, y, text[:95])
    page.showPage()
    page.save()
    return out.getvalue()

"""Message texts from Jinja templates, in Bahasa Indonesia (default) or English.

Templates live in ``templates/<language>/<template>.txt.j2``: the first line is the
subject, the rest (after one blank line) the plain-text body; WhatsApp texts in
``templates/<language>/whatsapp/<template>.txt.j2``. The context names the
agreement, its partner and agency (or the figure, or the year's mapping), what is due
and by when.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from contracts.common import one_line
from plumbing.errors import ConfigError
from services.notifications.domain import AgreementView, Notice, Rule
from services.notifications.domain.whatsapp import fit

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
WHATSAPP_TEMPLATE = "{language}/whatsapp/{name}.txt.j2"
"""WhatsApp texts: shorter than the emails (no details block), the summary in bold."""

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
KINDS = {
    "id": {"KSDD": "Kerja Sama Daerah dengan Daerah Lain",
           "KSDPK": "Kerja Sama Daerah dengan Pihak Ketiga",
           "KSDPL": "Kerja Sama Daerah dengan Pemerintah Daerah di Luar Negeri",
           "KSDLL": "Kerja Sama Daerah dengan Lembaga di Luar Negeri",
           "SINERGI": "Sinergi dengan Kementerian/Lembaga"},
    "en": {"KSDD": "cooperation with another Indonesian region",
           "KSDPK": "cooperation with a third party",
           "KSDPL": "cooperation with a foreign regional government",
           "KSDLL": "cooperation with a foreign institution",
           "SINERGI": "synergy with a ministry or agency"},
}
DOCUMENTS = {
    "id": {"LOI": "Surat Pernyataan Kehendak (LoI)", "MOU": "Kesepakatan Bersama (MoU)",
           "PKS": "Perjanjian Kerja Sama (PKS)", "ADDENDUM": "Adendum"},
    "en": {"LOI": "letter of intent (LoI)", "MOU": "memorandum of understanding (MoU)",
           "PKS": "implementation agreement (PKS)", "ADDENDUM": "addendum"},
}

STAGES = {  # how "still <stage>" reads, of a proposal not yet signed
    "id": {"PROPOSED": "menunggu penelaahan", "IN_REVIEW": "dalam penelaahan",
           "REVISION_REQUESTED": "menunggu perbaikan usulan dari Perangkat Daerah",
           "DRAFTING": "dalam penyusunan naskah", "IN_DISCUSSION": "dalam pembahasan naskah",
           "AWAITING_APPROVAL": "menunggu persetujuan", "READY_TO_SIGN": "menunggu "
           "penandatanganan"},
    "en": {"PROPOSED": "awaiting review", "IN_REVIEW": "in review",
           "REVISION_REQUESTED": "awaiting the agency's revision", "DRAFTING": "being drafted",
           "IN_DISCUSSION": "in discussion", "AWAITING_APPROVAL": "awaiting approval",
           "READY_TO_SIGN": "awaiting signature"},
}

INDICATORS = {
    "id": {"realization": "Realisasi Jumlah Naskah Kerja Sama",
           "effectiveness": "Efektivitas Kerja Sama"},
    "en": {"realization": "cooperation realization", "effectiveness": "cooperation "
           "effectiveness"},
}


@dataclass(frozen=True)
class Message:
    """A rendered message."""

    subject: str
    text: str


def template_name(rule: Rule) -> str:
    """The template of a rule; the expiry rules share one."""
    return "expiry" if rule.value.startswith("expiry_") else rule.value


def _whatsapp_name(language: str, rule: Rule) -> str:
    return WHATSAPP_TEMPLATE.format(language=language, name=template_name(rule))


def format_date(value: date | str | None, language: str) -> str:
    """``2021-05-20`` → ``20 Mei 2021`` (id) or ``20 May 2021`` (en)."""
    if value is None:
        return "-"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {MONTHS[language][day.month - 1]} {day.year}"


class Renderer:
    """Renders notices with the templates of a directory.

    Every value put into a text is one line (:func:`contracts.common.one_line`): stored
    text with a line break or a control character can neither split the subject from the
    body nor add lines of its own.
    """

    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._directory = directory
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory), undefined=jinja2.StrictUndefined,
            autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
            finalize=one_line)

    def check(self) -> None:
        """Load every template of every language, each rule's email and WhatsApp text
        (fail at start-up, not at the first send): ConfigError naming every missing file."""
        missing: list[str] = []
        for language in LANGUAGES:
            for rule in Rule:
                for name in (f"{language}/{template_name(rule)}.txt.j2",
                             _whatsapp_name(language, rule)):
                    try:
                        self._env.get_template(name)
                    except jinja2.TemplateNotFound:
                        missing.append(name)
        if missing:
            raise ConfigError("message texts missing (every rule has an email and a "
                              f"WhatsApp text in each language, in {self._directory}): "
                              + ", ".join(dict.fromkeys(missing)))

    def render(self, notice: Notice, view: AgreementView | None, recipient: str,
               language: str) -> Message:
        """The subject and text of ``notice`` for ``recipient``, in ``language``."""
        if language not in LANGUAGES:
            language = DEFAULT_LANGUAGE
        template = self._env.get_template(f"{language}/{template_name(notice.rule)}.txt.j2")
        text = template.render(self._context(notice, view, recipient, language)).strip()
        subject, _, body = text.partition("\n")
        return Message(subject=subject.strip(), text=body.strip() + "\n")

    def render_whatsapp(self, notice: Notice, view: AgreementView | None, recipient: str,
                        language: str) -> str:
        """The WhatsApp text of ``notice`` (``templates/<language>/whatsapp/``: the summary
        in bold, the main paragraph, the agreement's id), within WhatsApp's length
        (:func:`~services.notifications.domain.whatsapp.fit`)."""
        if language not in LANGUAGES:
            language = DEFAULT_LANGUAGE
        template = self._env.get_template(_whatsapp_name(language, notice.rule))
        text = template.render(self._context(notice, view, recipient, language)).strip()
        return fit(re.sub(r"\n{3,}", "\n\n", text) + "\n")

    @staticmethod
    def _context(notice: Notice, view: AgreementView | None, recipient: str,
                 language: str) -> Mapping[str, Any]:
        def fmt(value: date | str | None) -> str:
            return format_date(value, language)

        def stage(value: str) -> str:
            return STAGES[language].get(value, value)

        common = {"recipient": recipient, "rule": notice.rule.value, "due_on": notice.due_on,
                  "facts": notice.facts, "items": notice.items, "date": fmt, "stage": stage}
        if view is None and "indicator" in notice.facts:  # a notice about a figure
            indicator = str(notice.facts["indicator"])
            return {**common, "facts": {**notice.facts, "indicator_label": INDICATORS[
                language].get(indicator, indicator)}}
        if view is None:  # a notice about a year's mapping, or the late entries' digest
            return common
        return {
            **common, "a": view, "kind_label": KINDS[language].get(view.kind, view.kind),
            "document_label": DOCUMENTS[language].get(view.document_type, view.document_type),
        }

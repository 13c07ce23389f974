"""Recording notices and their deliveries, inside the caller's transaction.

A notice is recorded once per (agreement, rule, occasion); when it is new, one delivery
is recorded per recipient, channel and address, with its text rendered in the
recipient's language. Sending happens later, after commit (the dispatcher).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from plumbing.db import Conn
from services.notifications.adapters import deliveries
from services.notifications.adapters.deliveries import NewDelivery
from services.notifications.adapters.templates import Message, Renderer
from services.notifications.application.metrics import FAILED, RECORDED, SKIPPED
from services.notifications.application.recipients import Directory
from services.notifications.domain import AgreementView, Notice
from services.notifications.domain.contacts import Contact
from services.notifications.domain.whatsapp import parameter

PAYLOAD_TYPE = "kerjasama.notification.v1"
WHATSAPP_PAYLOAD_TYPE = "kerjasama.whatsapp.v1"


def _payload(notice: Notice, view: AgreementView | None, contact: Contact, language: str,
             subject: str, text: str) -> dict[str, Any]:
    return {
        "type": PAYLOAD_TYPE, "rule": notice.rule.value, "occasion": notice.occasion,
        "recipient": contact.code, "language": language, "subject": subject, "text": text,
        "due_on": notice.due_on.isoformat() if notice.due_on else None,
        "facts": dict(notice.facts), "items": [dict(item) for item in notice.items],
        "agreement": None if view is None else {
            "id": str(view.id), "title": view.title, "kind": view.kind,
            "document_type": view.document_type, "stage": view.stage.value,
            "partner": {"name": view.partner_name, "country": view.partner_country},
            "lead_opd": view.lead_opd, "supporting_opds": list(view.supporting_opds),
            "number": view.number,
            "signed_on": view.signed_on.isoformat() if view.signed_on else None,
            "effective_until": (view.effective_until.isoformat()
                                if view.effective_until else None),
        },
    }


def _whatsapp_payload(contact: Contact, language: str, message: Message) -> dict[str, Any]:
    """What a WhatsApp delivery needs besides its text: the Cloud API template's language
    and body parameters ({{1}} the recipient's name, {{2}} the summary)."""
    return {"type": WHATSAPP_PAYLOAD_TYPE, "language": language,
            "parameters": [parameter(contact.display_name), parameter(message.subject)]}


class NoticeRecorder:
    """Records notices and their deliveries."""

    def __init__(self, renderer: Renderer, directory: Directory, *,
                 whatsapp: bool = False) -> None:
        self._renderer = renderer
        self._directory = directory
        self._whatsapp = whatsapp  # a provider is configured: without one, numbers are kept

    @property
    def directory(self) -> Directory:
        """Who notices go to."""
        return self._directory

    def _deliveries(self, notice: Notice, view: AgreementView | None,
                    contact: Contact) -> list[NewDelivery]:
        language = contact.language
        message = self._renderer.render(notice, view, contact.display_name, language)
        payload = _payload(notice, view, contact, language, message.subject, message.text)

        def new(channel: str, address: str, **extra: Any) -> NewDelivery:
            return NewDelivery(recipient=contact.code, channel=channel, address=address,
                               language=language, subject=message.subject, body=message.text,
                               payload=payload, **extra)

        found = [new("email", e) for e in contact.emails]
        found += [new("webhook", w.url) for w in contact.webhooks]
        if self._whatsapp and contact.whatsapp:
            text = self._renderer.render_whatsapp(notice, view, contact.display_name, language)
            found += [NewDelivery(recipient=contact.code, channel="whatsapp", address=number,
                                  language=language, subject=message.subject, body=text,
                                  payload=_whatsapp_payload(contact, language, message))
                      for number in contact.whatsapp]
        why = (f"only WhatsApp numbers for {contact.code}, and no WhatsApp provider is "
               "configured (KERJASAMA_WHATSAPP_PROVIDER)" if contact.whatsapp else
               f"no email, webhook or WhatsApp number for {contact.code}: "
               f"PUT /contacts/{contact.code}")
        return found or [new("none", "", status="no_contact", last_error=why)]

    async def record(self, conn: Conn, view: AgreementView | None, notice: Notice,
                     today: date, source: str) -> int:
        """Record ``notice`` about an agreement, or about no agreement (a figure, a year's
        mapping) when ``view`` is None, unless it fired before; return the deliveries
        recorded."""
        agreement_id = None if view is None else view.id
        notice_id = await deliveries.insert_notice(
            conn, agreement_id, notice.rule.value, notice.occasion, notice.due_on, today)
        if notice_id is None:
            return 0
        RECORDED.labels(notice.rule.value, source).inc()
        codes = self._directory.codes(view, notice.audiences, notice.agencies)
        contacts = await self._directory.contacts(conn, codes)
        recorded = 0
        for code in codes:
            for delivery in self._deliveries(notice, view, contacts[code]):
                if notice.skipped is not None:  # old history: in the log, never sent
                    delivery = replace(delivery, status="skipped", last_error=notice.skipped)
                    SKIPPED.labels(notice.rule.value).inc()
                recorded += await deliveries.insert_delivery(
                    conn, notice_id, agreement_id, notice.rule.value, notice.occasion,
                    delivery)
                if delivery.status == "no_contact":
                    FAILED.labels(delivery.channel, notice.rule.value).inc()
        return recorded

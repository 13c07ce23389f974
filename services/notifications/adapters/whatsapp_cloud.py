"""The WhatsApp Business Cloud API: approved template messages.

``POST {base}/{phone number id}/messages`` with ``Authorization: Bearer <token>`` and::

    {"messaging_product": "whatsapp", "recipient_type": "individual",
     "to": "6281234567890", "type": "template",
     "template": {"name": "kerjasama_follow_up_plan_requested",
                  "language": {"code": "id"},
                  "components": [{"type": "body", "parameters": [
                      {"type": "text", "text": "<recipient>"},
                      {"type": "text", "text": "<summary>"}]}]}}

A business may start a conversation only with a template Meta has approved, so each rule
has one (``domain/whatsapp.py`` names them; a setting renames them) whose body takes two
parameters: the recipient's name and the message's one-line summary. Any 2xx means Meta
accepted the message: its ``messages[0].id`` (the ``wamid``) is kept as the delivery's
provider message id; a 2xx without one is still sent (repeating it would send the
message again), with no id and a warning in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from services.notifications.adapters.whatsapp_http import Endpoint, excerpt
from services.notifications.domain.whatsapp import WhatsAppMessage, digits, template_for

log = logging.getLogger(__name__)


PARAMETER_CHARACTERS = 1024
"""The longest text of a template parameter the Cloud API takes."""


def parameter_text(text: str) -> str:
    """``text`` as a template parameter may be: the Cloud API refuses (400, not worth a
    retry) a parameter with a line break, a tab or more than four spaces in a row, or one
    too long, so whitespace is one space and a long text ends with an ellipsis."""
    one = " ".join(text.split())
    return one if len(one) <= PARAMETER_CHARACTERS else one[:PARAMETER_CHARACTERS - 1] + "…"


class CloudApiSender:
    """Sends each message as the rule's template, in the contact's language."""

    def __init__(self, endpoint: Endpoint, base_url: str, phone_number_id: str, token: str,
                 templates: Mapping[str, str]) -> None:
        self._endpoint = endpoint
        self.url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {token}",
                         "Content-Type": "application/json"}
        self._templates = templates

    def body(self, message: WhatsAppMessage) -> dict[str, Any]:
        """The JSON of the request that sends ``message``."""
        return {
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": digits(message.to), "type": "template",
            "template": {
                "name": template_for(message.rule, self._templates),
                "language": {"code": message.language},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": parameter_text(text)}
                    for text in message.parameters]}],
            },
        }

    async def send(self, message: WhatsAppMessage) -> str | None:
        """One POST; the ``wamid`` Meta gave the message (None, with a warning, when a 2xx
        names none: the message was accepted all the same, and is not sent again)."""
        response = await self._endpoint.post(self.url, self._headers, json=self.body(message))
        try:
            answer = response.json()
            wamid = answer["messages"][0]["id"]
        except (ValueError, LookupError, TypeError):
            wamid = None
        if not isinstance(wamid, str) or not wamid:
            log.warning("delivery %d (%s): the Cloud API answered %d without messages[0].id; "
                        "taken as sent, with no provider message id: %s", message.delivery_id,
                        message.rule, response.status_code, excerpt(response))
            return None
        return wamid

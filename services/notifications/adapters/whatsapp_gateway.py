"""Plain HTTP WhatsApp gateways (Fonnte, Wablas and the like, common in Indonesian
regional governments): the rendered text to one number.

``POST {gateway url}`` with ``Authorization: <token>`` and the form fields ``target``
(the number's digits, country code first: ``6281234567890``) and ``message`` (the text).
Success is a 2xx, unless the body is JSON with ``"status": false`` (how these gateways
say they did not send: ``{"status": false, "reason": "..."}``), which is a failed
attempt with that reason. An ``id`` in the answer (a list's first, or a value) is kept as
the delivery's provider message id.
"""

from __future__ import annotations

import json
from typing import Any

from services.notifications.adapters.senders import SendFailed
from services.notifications.adapters.whatsapp_http import Endpoint, excerpt, shown
from services.notifications.domain.whatsapp import WhatsAppMessage, digits, fit


def _answer(text: str, content_type: str) -> Any:
    if "json" not in content_type and not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _message_id(answer: Any) -> str | None:
    found = answer.get("id") if isinstance(answer, dict) else None
    if isinstance(found, list):
        found = found[0] if found else None
    return None if found is None or isinstance(found, dict | list) else str(found)


class GatewaySender:
    """Sends each message's text through the gateway."""

    def __init__(self, endpoint: Endpoint, url: str, token: str) -> None:
        self._endpoint = endpoint
        self.url = url
        self._headers = {"Authorization": token}

    @staticmethod
    def form(message: WhatsAppMessage) -> dict[str, str]:
        """The form fields of the request that sends ``message`` (its text within
        WhatsApp's length, also for a delivery recorded before texts were cut to fit)."""
        return {"target": digits(message.to), "message": fit(message.text)}

    async def send(self, message: WhatsAppMessage) -> str | None:
        """One POST; the gateway's id of the message, if it gives one."""
        response = await self._endpoint.post(self.url, self._headers, data=self.form(message))
        answer = _answer(response.text, response.headers.get("content-type", ""))
        if isinstance(answer, dict) and answer.get("status") is False:
            reason = answer.get("reason") or answer.get("detail") or answer.get("message")
            raise SendFailed(f"POST {shown(self.url)}: the gateway did not send: "
                             f"{reason if reason else excerpt(response)}")
        return _message_id(answer)

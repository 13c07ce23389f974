"""Email over SMTP (aiosmtplib): STARTTLS and login when configured."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from contracts.common import one_line
from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.senders import SendFailed

MESSAGE_ID_DOMAIN = "kerjasama.local"


class SmtpSender:
    """Sends a delivery's subject and text as a plain-text email to its address."""

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False,
                 username: str | None = None, password: str | None = None,
                 timeout: float = 30.0) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._starttls, self._username, self._password = starttls, username, password
        self._timeout = timeout

    def message(self, delivery: Claimed) -> EmailMessage:
        """The email of a delivery; its Message-ID names the delivery (stable on retries)."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = delivery.address
        message["Subject"] = one_line(delivery.subject) or "(kerjasama)"
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(f"delivery-{delivery.id}", MESSAGE_ID_DOMAIN)
        message["X-Kerjasama-Delivery"] = str(delivery.id)
        message["X-Kerjasama-Rule"] = one_line(delivery.rule)
        message["X-Kerjasama-Agreement"] = str(delivery.agreement_id)
        message.set_content(delivery.body, charset="utf-8")
        return message

    async def send(self, delivery: Claimed) -> None:
        """Hand the email to the SMTP server; refusals and network errors raise SendFailed."""
        try:
            await aiosmtplib.send(
                self.message(delivery), hostname=self._host, port=self._port,
                start_tls=self._starttls, username=self._username, password=self._password,
                timeout=self._timeout)
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"SMTP {self._host}:{self._port}: {exc}") from exc

"""Email over SMTP (aiosmtplib): STARTTLS and login when configured.

Connections are kept open between sends (up to ``idle_connections`` of them, each for at
most ``idle_seconds``) instead of one connection, greeting, STARTTLS and login per email;
a kept connection the server has meanwhile closed is replaced once, transparently.
"""

from __future__ import annotations

import asyncio
import socket
import time
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import cast

import aiosmtplib

from contracts.common import one_line
from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.senders import SendFailed

MESSAGE_ID_DOMAIN = "kerjasama.local"
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP  # readable in the raw message, unlike base64


def _address(value: str) -> str:
    """An address header (``Name <addr>`` or ``addr``); a non-ASCII display name is encoded
    (RFC 2047) and the address itself left as it is."""
    if value.isascii():
        return value
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if address else value


def _header(value: str) -> str:
    """A header value; one with non-ASCII text as a ``Header``, which the compat32 message
    encodes (RFC 2047) and folds when it is flattened (typed ``str`` for its setter)."""
    return value if value.isascii() else cast(str, Header(value, "utf-8"))


class SmtpSender:
    """Sends a delivery's subject and text as a plain-text email to its address."""

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False,
                 username: str | None = None, password: str | None = None,
                 timeout: float = 30.0, idle_connections: int = 8,
                 idle_seconds: float = 30.0) -> None:
        self._host, self._port, self._sender = host, port, _address(sender)
        self._starttls, self._username, self._password = starttls, username, password
        self._timeout = timeout
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._idle_connections, self._idle_seconds = idle_connections, idle_seconds
        self._local_hostname: str | None = None

    def message(self, delivery: Claimed) -> Message:
        """The email of a delivery; its Message-ID names the delivery (stable on retries).

        Built with the ``compat32`` message API: the values are set as they are (the
        sender is a setting, the address was checked when the contact was registered),
        without the header parsing of ``EmailMessage`` that cost about a fifth of the
        service's CPU under load."""
        message = Message()
        message["From"] = self._sender
        message["To"] = _address(delivery.address)
        message["Subject"] = _header(one_line(delivery.subject) or "(kerjasama)")
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(f"delivery-{delivery.id}", MESSAGE_ID_DOMAIN)
        message["X-Kerjasama-Delivery"] = str(delivery.id)
        message["X-Kerjasama-Rule"] = _header(one_line(delivery.rule))
        if delivery.agreement_id is not None:
            message["X-Kerjasama-Agreement"] = str(delivery.agreement_id)
        message.set_payload(delivery.body, UTF8_QP)
        return message

    async def send(self, delivery: Claimed) -> None:
        """Hand the email to the SMTP server; refusals and network errors raise SendFailed."""
        message = self.message(delivery)
        try:
            kept = self._take()
            if kept is not None:
                try:
                    await self._send_on(kept, message)
                    return
                except ConnectionError:  # closed by the server while kept: once more, anew
                    pass
            await self._send_on(await self._connect(), message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"SMTP {self._host}:{self._port}: {exc}") from exc

    async def _send_on(self, client: aiosmtplib.SMTP, message: Message) -> None:
        try:
            await client.send_message(message)
        except BaseException:
            client.close()
            raise
        self._keep(client)

    async def close(self) -> None:
        """Say goodbye on every kept connection."""
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._goodbye(client) for client, _ in idle))

    @staticmethod
    async def _goodbye(client: aiosmtplib.SMTP) -> None:
        try:
            await asyncio.wait_for(client.quit(), 2.0)  # within the shutdown's grace
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()

    def _take(self) -> aiosmtplib.SMTP | None:
        now = time.monotonic()
        while self._idle:
            client, since = self._idle.pop()
            if client.is_connected and now - since < self._idle_seconds:
                return client
            client.close()
        return None

    def _keep(self, client: aiosmtplib.SMTP) -> None:
        if len(self._idle) < self._idle_connections and client.is_connected:
            self._idle.append((client, time.monotonic()))
        else:
            client.close()

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._local_hostname is None:  # once, not a DNS lookup per connection
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        client = aiosmtplib.SMTP(
            hostname=self._host, port=self._port, start_tls=self._starttls,
            username=self._username, password=self._password, timeout=self._timeout,
            local_hostname=self._local_hostname)
        await client.connect()
        return client

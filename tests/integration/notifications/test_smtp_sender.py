"""The SMTP sender keeps its connections: one greeting for many emails, a connection the
server closed meanwhile replaced without a failed delivery, a refusal still a failure."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller

from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.email import SmtpSender
from services.notifications.adapters.senders import SendFailed


class Recorder:
    """Counts greetings (one per connection) and keeps the subjects it accepts."""

    def __init__(self) -> None:
        self.greetings = 0
        self.subjects: list[str] = []
        self.raw: list[bytes] = []
        self.refuse = False

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        self.raw.append(envelope.original_content or envelope.content)
        content = (envelope.original_content or envelope.content).decode()
        self.subjects += [line.removeprefix("Subject: ") for line in content.splitlines()
                          if line.startswith("Subject: ")]
        return "250 2.0.0 accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[Controller, Recorder]]:
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, recorder
    if controller.loop.is_running():
        controller.stop()


def delivery(subject: str) -> Claimed:
    fields = {name: None for name in Claimed.__dataclass_fields__}
    fields.update(id=1, address="tkksd@jabarprov.go.id", subject=subject,
                  body="Isi pemberitahuan", rule="proposal-received",
                  agreement_id=uuid4())
    return Claimed(**fields)


async def test_many_emails_go_over_one_kept_connection(
        server: tuple[Controller, Recorder]) -> None:
    controller, recorder = server
    sender = SmtpSender("127.0.0.1", controller.port, "kerjasama@jabarprov.go.id")
    for n in range(5):
        await sender.send(delivery(f"Usulan {n}"))
    await sender.close()
    assert recorder.subjects == [f"Usulan {n}" for n in range(5)]
    assert recorder.greetings == 1


async def test_a_connection_the_server_closed_is_replaced_without_a_failure(
        server: tuple[Controller, Recorder]) -> None:
    controller, recorder = server
    sender = SmtpSender("127.0.0.1", controller.port, "kerjasama@jabarprov.go.id")
    await sender.send(delivery("Sebelum"))
    controller.stop()  # drops every connection; the sender still keeps its own
    again = Controller(recorder, hostname="127.0.0.1", port=controller.port)
    again.start()
    try:
        await sender.send(delivery("Sesudah"))
        await sender.close()
    finally:
        again.stop()
    assert recorder.subjects == ["Sebelum", "Sesudah"] and recorder.greetings == 2


async def test_a_refusal_is_a_failed_send_and_the_next_email_goes_out(
        server: tuple[Controller, Recorder]) -> None:
    controller, recorder = server
    sender = SmtpSender("127.0.0.1", controller.port, "kerjasama@jabarprov.go.id")
    recorder.refuse = True
    with pytest.raises(SendFailed, match="451"):
        await sender.send(delivery("Ditolak"))
    recorder.refuse = False
    await sender.send(delivery("Diterima"))
    await sender.close()
    assert recorder.subjects == ["Diterima"]


async def test_an_email_reads_back_with_its_text_headers_and_delivery_id(
        server: tuple[Controller, Recorder]) -> None:
    controller, recorder = server
    sender = SmtpSender("127.0.0.1", controller.port, "kerjasama@jabarprov.go.id")
    sent = delivery("Usulan kerja sama: Ekowisata Curug Citambur — Désa Cibodas")
    sent = replace(sent, id=42, body="Yth. Sekretariat TKKSD,\nÜbersicht: 100% siap.\n")
    await sender.send(sent)
    await sender.close()
    [raw] = recorder.raw
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "Usulan kerja sama: Ekowisata Curug Citambur — Désa Cibodas"
    text = mail.get_content().replace("\r\n", "\n")  # SMTP carries lines with CRLF
    assert text == "Yth. Sekretariat TKKSD,\nÜbersicht: 100% siap.\n"
    assert mail["To"] == "tkksd@jabarprov.go.id" and mail["From"] == "kerjasama@jabarprov.go.id"
    assert mail["X-Kerjasama-Delivery"] == "42"
    assert mail["Message-ID"].endswith(".delivery-42@kerjasama.local>")
    assert b"Content-Transfer-Encoding: quoted-printable" in raw  # readable as stored


async def test_a_sender_with_a_non_ascii_name_keeps_its_address(
        server: tuple[Controller, Recorder]) -> None:
    controller, recorder = server
    sender = SmtpSender("127.0.0.1", controller.port,
                        "Biro Kerja Sama Setda Jabar Bagian Ké <noreply@jabarprov.go.id>")
    await sender.send(delivery("Usulan"))
    await sender.close()
    mail = email.message_from_bytes(recorder.raw[0], policy=email.policy.default)
    assert mail["From"].addresses[0].addr_spec == "noreply@jabarprov.go.id"
    assert mail["From"].addresses[0].display_name == "Biro Kerja Sama Setda Jabar Bagian Ké"

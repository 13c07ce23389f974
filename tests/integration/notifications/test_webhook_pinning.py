"""A webhook is sent over TLS to the address that was checked, while the TLS server name
and the certificate's verification stay the URL's host name (a real TLS server)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.senders import SendFailed
from services.notifications.adapters.webhook import WebhookSender, verify
from services.notifications.adapters.webhook_address import Destinations
from services.notifications.domain.addresses import AddressRules, IPAddress

HOST = "hooks.kerjasama.test"
SECRET = "the-receivers-secret"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str,
                 issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   issuer_key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = (builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]),
                                         critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                                  critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class TlsReceiver:
    """A TLS server on 127.0.0.1 (its certificate names ``HOST`` unless a test says)."""

    port: int
    ca_file: Path
    server_names: list[str | None] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)


@pytest.fixture
async def tls_receiver(tmp_path: Path, request: pytest.FixtureRequest,
                       ) -> AsyncIterator[TlsReceiver]:
    certified: str = getattr(request, "param", HOST)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    ca = _certificate("kerjasama test CA", ca_key, "kerjasama test CA", ca_key, ca=True)
    leaf = _certificate(certified, leaf_key, "kerjasama test CA", ca_key, ca=False)
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.key").write_bytes(leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    receiver = TlsReceiver(0, tmp_path / "ca.pem")
    context.sni_callback = lambda _sock, name, _ctx: receiver.server_names.append(name)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            receiver.requests.append(head + await reader.readexactly(length))
            writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    receiver.port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver


async def _send(receiver: TlsReceiver) -> list[str]:
    """Send one delivery to ``https://HOST:<port>/hook``; return the names resolved."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        return [ipaddress.ip_address("127.0.0.1")] if host == HOST else []

    async def secret(code: str, url: str) -> str:
        return SECRET

    destinations = Destinations(AddressRules(allow_private=True), resolve)
    delivery = Claimed(id=7, agreement_id=uuid4(), rule="proposal_received", recipient="TKKSD",
                       channel="webhook", address=f"https://{HOST}:{receiver.port}/hook",
                       subject="s", body="b", payload={"rule": "proposal_received"},
                       attempts=1)
    verify_with = ssl.create_default_context(cafile=str(receiver.ca_file))
    async with httpx.AsyncClient(verify=verify_with, trust_env=False) as client:
        await WebhookSender(secret, client, destinations).send(delivery)
    return asked


async def test_the_request_goes_to_the_checked_address_with_the_hosts_tls_name(
        tls_receiver: TlsReceiver) -> None:
    assert await _send(tls_receiver) == [HOST]
    assert tls_receiver.server_names == [HOST]  # SNI: the URL's host, not the address
    [request] = tls_receiver.requests
    head, body = request.split(b"\r\n\r\n", 1)
    headers = dict(line.decode().lower().split(": ", 1) for line in head.split(b"\r\n")[1:])
    assert headers["host"] == f"{HOST}:{tls_receiver.port}"
    assert verify(SECRET, headers["x-kerjasama-timestamp"], headers["x-kerjasama-delivery"],
                  body, headers["x-kerjasama-signature"])


@pytest.mark.parametrize("tls_receiver", ["other.kerjasama.test"], indirect=True)
async def test_a_certificate_for_another_name_is_refused(tls_receiver: TlsReceiver) -> None:
    with pytest.raises(SendFailed, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        await _send(tls_receiver)
    assert tls_receiver.requests == []

"""Where webhooks may point, and how a send is pinned to the address that was checked."""

from __future__ import annotations

import ipaddress
from uuid import uuid4

import httpx
import pytest

from services.notifications.adapters.deliveries import Claimed
from services.notifications.adapters.senders import SendFailed, SendRefused
from services.notifications.adapters.webhook import WebhookSender
from services.notifications.adapters.webhook_address import (
    Destinations,
    Unresolved,
    WebhookRefused,
)
from services.notifications.domain.addresses import (
    AddressRefused,
    AddressRules,
    IPAddress,
    check_address,
)

PUBLIC = "93.184.216.34"
RELAXED = AddressRules(allow_http=True, allow_private=True)


@pytest.mark.parametrize(("address", "says"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.5", "private"), ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"), ("169.254.1.1", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::", "unspecified"), ("100.64.0.1", "non-public"), ("240.0.0.1", "private"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),
    ("64:ff9b::7f00:1", "loopback"), ("2002:a00:1::", "private"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"),
])
def test_internal_addresses_never_receive_webhooks(address: str, says: str) -> None:
    with pytest.raises(AddressRefused, match=says):
        check_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_receive_webhooks(address: str) -> None:
    check_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(("address", "allowed"), [
    ("127.0.0.1", True), ("10.1.2.3", True), ("::ffff:127.0.0.1", True),
    ("169.254.169.254", False), ("fd00:ec2::254", False), ("100.100.100.200", False),
    ("224.0.0.1", False), ("0.0.0.0", False),
])
def test_the_development_relaxation_never_opens_metadata_multicast_or_unspecified(
        address: str, allowed: bool) -> None:
    try:
        check_address(ipaddress.ip_address(address), RELAXED)
    except AddressRefused:
        assert not allowed
    else:
        assert allowed


class Dns:
    """A resolver that answers from a table (and counts the questions)."""

    def __init__(self, **table: list[str]) -> None:
        self.table = {name.replace("_", "."): [ipaddress.ip_address(a) for a in found]
                      for name, found in table.items()}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"{host}: Name or service not known")
        return self.table[host]


@pytest.mark.parametrize(("url", "says"), [
    ("http://hooks.example.org/x", "plain http is refused"),
    ("https://user:password@hooks.example.org/x", "credentials in the URL are refused"),
    ("https://token@hooks.example.org/x", "credentials in the URL are refused"),
    ("ftp://hooks.example.org/x", "must start with https://"),
    ("https:///x", "no valid host"),
    ("https://hooks.example.org:99999/x", "not a TCP port"),
    ("https://127.0.0.1:15672/api/users", "127.0.0.1 is a loopback address"),
    ("https://[::ffff:127.0.0.1]:5432/", "loopback"),
    ("https://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("https://localhost/x", "localhost resolves to 127.0.0.1, which is a loopback address"),
    ("https://mixed.example.org/x", "resolves to 10.0.0.7, which is a private address"),
])
async def test_a_webhook_url_is_refused_at_registration_saying_why(url: str, says: str) -> None:
    dns = Dns(localhost=["127.0.0.1"], mixed_example_org=[PUBLIC, "10.0.0.7"])
    with pytest.raises(WebhookRefused, match=says):
        await Destinations(AddressRules(), dns).check(url)


async def test_a_public_https_url_and_one_that_does_not_resolve_yet_are_accepted() -> None:
    destinations = Destinations(AddressRules(), Dns(hooks_example_org=[PUBLIC]))
    await destinations.check("https://hooks.example.org/kerjasama")
    await destinations.check("https://not-yet.example.org/kerjasama")


async def test_the_development_relaxations_accept_a_local_http_receiver() -> None:
    await Destinations(RELAXED, Dns()).check("http://127.0.0.1:8080/hook")
    with pytest.raises(WebhookRefused, match="credentials"):
        await Destinations(RELAXED, Dns()).check("http://u:p@127.0.0.1:15672/api")


def _delivery(url: str) -> Claimed:
    return Claimed(id=41, agreement_id=uuid4(), rule="proposal_received", recipient="DISKUK",
                   channel="webhook", address=url, subject="s", body="b",
                   payload={"rule": "proposal_received"}, attempts=1)


class Receiver:
    """An httpx transport that records requests and answers ``status``."""

    def __init__(self, status: int = 204, headers: dict[str, str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status, self.headers = status, headers or {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, headers=self.headers)


async def _send(url: str, dns: Dns, receiver: Receiver) -> None:
    async def secret(code: str, hook: str) -> str:
        return "the-receivers-secret"

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as client:
        await WebhookSender(secret, client, Destinations(AddressRules(), dns)).send(
            _delivery(url))


async def test_a_send_goes_to_the_address_checked_with_the_host_name_kept_for_tls() -> None:
    dns, receiver = Dns(hooks_example_org=[PUBLIC]), Receiver()
    await _send("https://hooks.example.org:8443/kerjasama?x=1", dns, receiver)
    [request] = receiver.requests
    assert dns.asked == ["hooks.example.org"]  # resolved once: the connection uses that answer
    assert (request.url.host, request.url.port, request.url.raw_path) == (
        PUBLIC, 8443, b"/kerjasama?x=1")
    assert request.headers["host"] == "hooks.example.org:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.org"


async def test_a_host_that_now_resolves_inside_is_not_sent_to() -> None:
    dns, receiver = Dns(rebound_example_org=["127.0.0.1"]), Receiver()
    with pytest.raises(SendRefused, match=r"rebound\.example\.org resolves to 127\.0\.0\.1"):
        await _send("https://rebound.example.org/hook", dns, receiver)
    assert receiver.requests == []


async def test_a_stored_plain_http_url_is_refused_without_a_request() -> None:
    receiver = Receiver()
    with pytest.raises(SendRefused, match="plain http"):
        await _send("http://hooks.example.org/hook", Dns(hooks_example_org=[PUBLIC]), receiver)
    assert receiver.requests == []


async def test_a_host_that_does_not_resolve_is_an_attempt_to_retry() -> None:
    receiver = Receiver()
    with pytest.raises(SendFailed, match="does not resolve") as failed:
        await _send("https://gone.example.org/hook", Dns(), receiver)
    assert not isinstance(failed.value, SendRefused) and receiver.requests == []
    with pytest.raises(Unresolved):
        await Destinations(AddressRules(), Dns()).pin("https://gone.example.org/hook")


async def test_a_redirect_is_not_followed() -> None:
    receiver = Receiver(302, {"location": "http://127.0.0.1:15672/api/users"})
    with pytest.raises(SendFailed, match="answered 302 \\(redirects are not followed\\)"):
        await _send("https://hooks.example.org/hook", Dns(hooks_example_org=[PUBLIC]),
                    receiver)
    assert len(receiver.requests) == 1

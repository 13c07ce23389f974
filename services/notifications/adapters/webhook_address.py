"""Webhook destinations: the URL checked, its host resolved, every address checked, and the
request pinned to the address that was checked (docs/domain.md#boundaries).

A URL must be ``https`` (``http`` only when relaxed), without credentials, with a host
name or an IP address. At registration a host that resolves is checked now (one that
does not resolve yet is left to the check at send time). At send time the host is
resolved once, every address it has must pass, and the request goes to the first one:
its URL names that IP, while the ``Host`` header and the TLS server name (so also the
certificate's verification) stay the URL's host (httpcore's ``sni_hostname`` request
extension). Nothing resolves the name again between the check and the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.notifications.domain.addresses import (
    AddressRefused,
    AddressRules,
    IPAddress,
    check_address,
)

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
"""``resolve(host, port)``: the addresses of ``host``, in the order to try them."""
_LABEL = r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")


class WebhookRefused(Exception):
    """Raised when a webhook URL may not be used; the message says why."""


class Unresolved(Exception):
    """Raised when a webhook's host name does not resolve (now)."""


@dataclass(frozen=True)
class Pinned:
    """A request target fixed to one checked address."""

    url: httpx.URL
    """The URL with the checked IP address in place of the host name."""
    headers: dict[str, str] = field(default_factory=dict)
    """``Host``: the URL's own host (and port)."""
    extensions: dict[str, Any] = field(default_factory=dict)
    """``sni_hostname``: the TLS server name (and the name the certificate must have)."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The addresses of ``host`` from the system resolver (getaddrinfo), each once."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0])) for info in infos))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class Destinations:
    """Checks webhook URLs and pins requests to checked addresses."""

    def __init__(self, rules: AddressRules, resolver: Resolver = system_resolver, *,
                 resolve_timeout: float = 10.0) -> None:
        self.rules = rules
        self._resolve = resolver
        self._timeout = resolve_timeout

    def parse(self, url: str) -> httpx.URL:
        """The URL, if its form is allowed; WebhookRefused saying why otherwise."""
        try:
            parsed = httpx.URL(url)
            port = parsed.port
        except (httpx.InvalidURL, ValueError):
            raise WebhookRefused("not a valid URL") from None
        if parsed.scheme == "http" and not self.rules.allow_http:
            raise WebhookRefused("plain http is refused: the URL must start with https://")
        if parsed.scheme not in ("https", "http"):
            raise WebhookRefused("the URL must start with https://")
        if parsed.userinfo:
            raise WebhookRefused("credentials in the URL are refused (receivers check the "
                                 "signature instead)")
        host = parsed.host
        if not host or (_literal(host) is None and not _HOST_NAME.match(
                parsed.raw_host.decode("ascii", "replace"))):
            raise WebhookRefused("the URL has no valid host")
        if port is not None and not 0 < port < 65536:
            raise WebhookRefused(f"port {port} is not a TCP port")
        return parsed

    def _check(self, host: str, addresses: list[IPAddress]) -> None:
        for address in addresses:
            try:
                check_address(address, self.rules)
            except AddressRefused as exc:
                said = str(exc) if _literal(host) else \
                    f"{host} resolves to {exc.address}, which is {exc.reason}"
                raise WebhookRefused(f"{said}: webhooks reach only outside addresses") from None

    async def _addresses(self, url: httpx.URL) -> list[IPAddress]:
        literal = _literal(url.host)
        if literal is not None:
            return [literal]
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            found = await asyncio.wait_for(self._resolve(url.raw_host.decode("ascii"), port),
                                           self._timeout)
        except (OSError, TimeoutError, UnicodeError) as exc:
            raise Unresolved(f"{url.host} does not resolve: {exc or type(exc).__name__}") \
                from None
        if not found:
            raise Unresolved(f"{url.host} does not resolve")
        return found

    async def check(self, url: str) -> None:
        """At registration: WebhookRefused unless the URL may be used (so far as known now)."""
        parsed = self.parse(url)
        try:
            addresses = await self._addresses(parsed)
        except Unresolved:
            return  # nothing to check yet: the check at send time decides
        self._check(parsed.host, addresses)

    async def pin(self, url: str) -> Pinned:
        """At send time: the request target fixed to a checked address.

        WebhookRefused when the URL or any address of its host is refused; Unresolved when
        the host does not resolve.
        """
        parsed = self.parse(url)
        addresses = await self._addresses(parsed)
        self._check(parsed.host, addresses)
        if _literal(parsed.host) is not None:
            return Pinned(parsed)
        extensions = {"sni_hostname": parsed.raw_host.decode("ascii")} \
            if parsed.scheme == "https" else {}
        return Pinned(parsed.copy_with(host=str(addresses[0])),
                      {"Host": parsed.netloc.decode("ascii")}, extensions)

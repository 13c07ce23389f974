"""Where a webhook may point: the outside only (docs/domain.md#webhooks).

Pure rules, no I/O: whether one IP address may receive a webhook. A host is checked by
checking every address it resolves to (``adapters/webhook_address.py``). IPv6 forms
that carry an IPv4 address (IPv4-mapped, IPv4-compatible, 6to4, Teredo, NAT64) are
judged by that IPv4 address too.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, Oracle instance metadata
    "169.254.170.2",  # AWS ECS task metadata
    "fd00:ec2::254",  # AWS instance metadata over IPv6
    "100.100.100.200",  # Alibaba Cloud metadata
    "168.63.129.16",  # Azure platform (wireserver)
))
"""Cloud metadata services: never a webhook, whatever is relaxed."""

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class AddressRefused(ValueError):
    """Raised when a webhook may not be sent to an address; the message says why."""

    def __init__(self, address: IPAddress, reason: str) -> None:
        super().__init__(f"{address} is {reason}")
        self.address, self.reason = address, reason


@dataclass(frozen=True)
class AddressRules:
    """What a deployment allows besides public https (each only in development)."""

    allow_http: bool = False
    """Plain ``http://`` URLs."""
    allow_private: bool = False
    """Loopback, private, link-local, shared and other non-public unicast addresses
    (metadata, multicast and unspecified addresses stay refused)."""


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is one of the forms carrying one."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in net for net in _NAT64) or 1 < int(address) < 2**32:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # NAT64, IPv4-compatible
    return None


def _kind(address: IPAddress) -> str | None:
    """What makes ``address`` internal (as a phrase), or None for a public unicast one."""
    checks = (("the unspecified address", address.is_unspecified),
              ("a loopback address", address.is_loopback),
              ("a multicast address", address.is_multicast),
              ("a link-local address", address.is_link_local),
              ("a private address", address.is_private),
              ("a reserved address", address.is_reserved),
              ("a shared or otherwise non-public address", not address.is_global))
    return next((kind for kind, found in checks if found), None)


def check_address(address: IPAddress, rules: AddressRules = AddressRules()) -> None:
    """AddressRefused unless a webhook may be sent to ``address`` under ``rules``.

    An IPv6 form carrying an IPv4 address is judged by that address first (an
    IPv4-mapped one by it alone: it is that address), then by itself.
    """
    inner = embedded_ipv4(address)
    mapped = isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None
    for candidate in (inner,) if mapped else (inner, address):
        if candidate is None:
            continue
        shown = "" if candidate == address else f" (it stands for {candidate})"
        if candidate in METADATA_ADDRESSES:
            raise AddressRefused(address, f"a cloud metadata address{shown}")
        kind = _kind(candidate)
        if kind is None:
            continue
        if "unspecified" in kind or "multicast" in kind or not rules.allow_private:
            raise AddressRefused(address, f"{kind}{shown}")

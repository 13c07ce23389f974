"""What the dispatcher needs from a channel."""

from __future__ import annotations

from typing import Protocol

from services.notifications.adapters.deliveries import Claimed


class SendFailed(Exception):
    """Raised when a channel could not deliver; the message says why (for the log)."""


class SendRefused(SendFailed):
    """Raised when a delivery must not be attempted again (its address is refused, or the
    provider refused the request for good): it fails at once, without further attempts."""


class Sender(Protocol):
    """Sends one claimed delivery; raises SendFailed (or any error) when it did not, and
    SendRefused when it must not be tried again."""

    async def send(self, delivery: Claimed) -> str | None:
        """Deliver ``delivery`` once; the id the provider gave it, if any (WhatsApp)."""

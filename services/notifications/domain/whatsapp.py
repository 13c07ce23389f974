"""WhatsApp: the numbers a contact may give, the message a provider sends, and the port.

Pure rules, no I/O. A number is E.164: ``+``, then 8 to 15 digits, the first not 0
(``+6281234567890``), written without spaces. Two providers stand behind one port
(:class:`WhatsAppSender`): the WhatsApp Business Cloud API, which sends approved
*template* messages (a template name and its body parameters), and the plain HTTP
gateways of Indonesian regional governments, which send the rendered text. A message
carries both, so a delivery recorded under one provider can be sent by the other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

E164 = re.compile(r"\+[1-9][0-9]{7,14}")
"""An E.164 number, matched whole (``fullmatch``: ``$`` would also end before a final
line feed, and ``"+6281234567890\\n"`` would be kept beside ``"+6281234567890"``)."""
TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")
"""What Meta accepts as a template name, matched whole: lower-case letters, digits and
underscores."""
TEMPLATE_PREFIX = "kerjasama_"
MAX_TEXT = 4096
"""WhatsApp's longest text message, in characters."""
CUT = "\u2026"
"""The line that ends a text cut to fit (an ellipsis)."""


class NumberInvalid(ValueError):
    """Raised when a WhatsApp number is not an E.164 number; the message names it."""

    def __init__(self, value: str) -> None:
        shown = value if len(value) <= 40 else value[:40] + "..."
        super().__init__(f"{shown!r} is not an E.164 number: '+', then 8 to 15 digits, the "
                         "first not 0, no spaces (e.g. +6281234567890)")
        self.value = value


def check_number(value: str) -> str:
    """``value`` if it is an E.164 number; NumberInvalid otherwise."""
    if not E164.fullmatch(value):
        raise NumberInvalid(value)
    return value


def digits(number: str) -> str:
    """The number as the providers take it: its digits, without the ``+``."""
    return number.removeprefix("+")


def default_template(rule: str) -> str:
    """The Cloud API template of a rule: ``kerjasama_<rule>``; the expiry rules share
    ``kerjasama_expiry`` (their summary says how many days are left)."""
    return TEMPLATE_PREFIX + ("expiry" if rule.startswith("expiry_") else rule)


def template_for(rule: str, overrides: Mapping[str, str]) -> str:
    """The template of ``rule``: the operator's name for it, else the default."""
    return overrides.get(rule) or default_template(rule)


def fit(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` if it has at most ``limit`` characters; else its first whole lines that
    fit, then a line of its own with an ellipsis. A line longer than all of that is cut
    at a space. Nothing is cut inside a line that is kept (a bold ``*...*`` stays
    closed), and the result never exceeds ``limit``."""
    if len(text) <= limit:
        return text
    tail = f"\n{CUT}\n"
    head = text[:limit - len(tail) + 1]  # one more: a line ending right at the limit fits
    cut = head.rfind("\n")
    if cut <= 0:
        cut = head.rfind(" ")
    if cut <= 0:
        cut = len(head) - 1
    return head[:cut].rstrip() + tail


def parameter(text: str) -> str:
    """A template body parameter: Meta refuses line breaks, tabs and more than four spaces
    in a row, so every run of white space becomes one space."""
    return " ".join(text.split()) or "-"


@dataclass(frozen=True)
class WhatsAppMessage:
    """One message to one number, as rendered when its notice was recorded."""

    delivery_id: int
    """The delivery it sends (the same on every attempt)."""
    rule: str
    """Why it is sent; picks the Cloud API template."""
    to: str
    """E.164 number of the recipient."""
    language: str
    """``id`` or ``en``: the contact's language."""
    text: str
    """The message text (gateways)."""
    parameters: tuple[str, ...]
    """The template's body parameters (Cloud API): the recipient's name, the summary."""


class WhatsAppSender(Protocol):
    """Sends one WhatsApp message through a provider.

    Returns the provider's message id (None when the provider gives none). Raises
    ``SendFailed`` (``adapters/senders.py``) when the attempt may be repeated (network
    errors, timeouts, 429, 5xx) and ``SendRefused`` when it must not (the provider refused
    the request for good: a 4xx other than 429).
    """

    async def send(self, message: WhatsAppMessage) -> str | None:
        """Deliver ``message`` once; the provider's message id."""

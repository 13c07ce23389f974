"""Recipients: an agency or a configured office, with its addresses and language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Webhook:
    """An HTTPS endpoint that receives signed JSON notices (its secret stays in the store:
    ``adapters/contacts.py`` keeps it encrypted and opens it for the sender only)."""

    url: str


@dataclass(frozen=True)
class Contact:
    """Where and in which language a recipient (agency code or office) is told."""

    code: str
    emails: tuple[str, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    language: str = "id"
    name: str | None = None
    whatsapp: tuple[str, ...] = ()
    """E.164 numbers (``domain/whatsapp.py``) told by WhatsApp when a provider is set."""

    @property
    def display_name(self) -> str:
        """How messages address the recipient."""
        return self.name or self.code

    def webhook(self, url: str) -> Webhook | None:
        """The webhook with this URL, if the contact still has it."""
        return next((w for w in self.webhooks if w.url == url), None)

"""Webhook secrets at rest: AES-256-GCM under keys from settings.

The first key encrypts, every key decrypts, so keys rotate: add the new key first and
keep the old one after it until the service has started once (it re-encrypts what the
old key encrypted). A sealed secret is ``v1.<key id>.<base64url(nonce | ciphertext)>``;
the key id is a digest of the key (never the key), and the associated data binds the
ciphertext to its contact and URL, so a secret copied to another webhook does not open.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from plumbing.errors import ConfigError
from plumbing.settings import env_name

if TYPE_CHECKING:
    from services.notifications.settings import NotificationsSettings

VERSION = "v1"
KEY_BYTES = 32


class SecretUnreadable(Exception):
    """Raised when a stored secret opens with none of the configured keys."""


def key_id(key: bytes) -> str:
    """A short public name of a key (a digest), to tell which key sealed a secret."""
    return hashlib.sha256(b"kerjasama-webhook-secret-key\x00" + key).hexdigest()[:12]


def parse_keys(text: str, setting: str) -> tuple[bytes, ...]:
    """Keys written as base64 of 32 bytes each, separated by commas or lines.

    ConfigError naming ``setting`` when there is none or one is not such a key.
    """
    keys = []
    for number, word in enumerate((w for w in re.split(r"[,\s]+", text) if w), start=1):
        try:
            key = base64.b64decode(word + "=" * (-len(word) % 4),
                                   altchars=b"-_" if "-" in word or "_" in word else None,
                                   validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise ConfigError(f"{setting}: key {number} is not the base64 of {KEY_BYTES} "
                              f"random bytes (make one with `openssl rand -base64 32`)")
        keys.append(key)
    if not keys:
        raise ConfigError(f"{setting}: holds no key")
    return tuple(keys)


@dataclass(frozen=True)
class SecretBox:
    """Seals and opens webhook secrets; ``setting`` names where the keys come from."""

    keys: tuple[bytes, ...]
    setting: str

    def seal(self, secret: str, context: str) -> str:
        """``secret`` encrypted with the first key, bound to ``context``."""
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[0]).encrypt(nonce, secret.encode(), context.encode())
        text = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}.{key_id(self.keys[0])}.{text}"

    def is_current(self, sealed: str) -> bool:
        """Whether ``sealed`` is sealed with the first key (nothing to re-encrypt)."""
        return sealed.startswith(f"{VERSION}.{key_id(self.keys[0])}.")

    def open(self, sealed: str, context: str) -> str:
        """The secret of ``sealed``; SecretUnreadable naming the setting otherwise."""
        version, _, rest = sealed.partition(".")
        kid, _, text = rest.partition(".")
        key = next((k for k in self.keys if key_id(k) == kid), None)
        if version != VERSION or key is None:
            raise SecretUnreadable(f"the secret was encrypted with key {kid or '?'}, which is "
                                   f"not among the keys of {self.setting}")
        try:
            data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            return AESGCM(key).decrypt(data[:12], data[12:], context.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise SecretUnreadable(f"the secret does not decrypt with key {kid} of "
                                   f"{self.setting} ({type(exc).__name__}): it was "
                                   f"changed or copied") from None


@functools.cache
def _development_key() -> bytes:
    return os.urandom(KEY_BYTES)


def development_box() -> SecretBox:
    """A box with a random key of this process: development without a configured key."""
    return SecretBox((_development_key(),), "the development key of this process (set "
                     "KERJASAMA_WEBHOOK_SECRET_KEYS_FILE to keep secrets across restarts)")


def secret_box_from(settings: NotificationsSettings) -> SecretBox:
    """The keys of webhook secrets the settings name; ConfigError naming the setting when
    they are missing (outside development) or malformed."""
    file_setting = env_name(type(settings), "webhook_secret_keys_file")
    variable = env_name(type(settings), "webhook_secret_keys")
    if settings.webhook_secret_keys_file is not None and settings.webhook_secret_keys is not None:
        raise ConfigError(f"set {file_setting} or {variable}, not both")
    if settings.webhook_secret_keys_file is not None:
        try:
            text = settings.webhook_secret_keys_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{file_setting}: cannot read {settings.webhook_secret_keys_file}:"
                              f" {exc.strerror}") from None
        return SecretBox(parse_keys(text, file_setting), file_setting)
    if settings.webhook_secret_keys is not None:
        return SecretBox(parse_keys(settings.webhook_secret_keys.get_secret_value(), variable),
                         variable)
    if settings.development:
        return development_box()
    raise ConfigError(f"{file_setting} (or {variable}) must be set: webhook secrets are "
                      "stored encrypted with its keys (make one with `openssl rand "
                      "-base64 32`)")

"""Contacts in PostgreSQL (table ``contacts``), webhook secrets encrypted.

``webhooks`` holds ``[{"url", "sealed_secret"}]``: the secret sealed by
:class:`~services.notifications.adapters.secret_box.SecretBox`, bound to the contact's
code and the URL. Rows written before encryption hold ``{"url", "secret"}`` in plain
text; :func:`seal_stored_secrets` encrypts them at start (and re-encrypts what an older
key sealed), in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from plumbing.db import Conn, Pool
from plumbing.errors import ConfigError
from services.notifications.adapters.secret_box import SecretBox, SecretUnreadable
from services.notifications.domain.contacts import Contact, Webhook


def _hooks(row: Any) -> list[dict[str, str]]:
    hooks = row["webhooks"]
    return list(json.loads(hooks) if isinstance(hooks, str) else hooks)


def _contact(row: Any) -> Contact:
    return Contact(code=row["code"], name=row["name"], emails=tuple(row["emails"]),
                   webhooks=tuple(Webhook(h["url"]) for h in _hooks(row)),
                   language=row["language"], whatsapp=tuple(row["whatsapp"]))


def _context(code: str, url: str) -> str:
    """What a sealed secret is bound to."""
    return f"contact {code} webhook {url}"


_COLUMNS = "code, name, emails, webhooks::text AS webhooks, language, whatsapp"


async def get(conn: Conn | Pool, code: str) -> Contact | None:
    """The stored contact of ``code``, if any."""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM contacts WHERE code = $1", code)
    return None if row is None else _contact(row)


async def get_many(conn: Conn | Pool, codes: list[str]) -> dict[str, Contact]:
    """The stored contacts of these codes, by code."""
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM contacts WHERE code = ANY($1::text[])",
                            codes)
    return {row["code"]: _contact(row) for row in rows}


async def list_all(conn: Conn | Pool) -> list[Contact]:
    """Every stored contact, by code."""
    return [_contact(r) for r in await conn.fetch(f"SELECT {_COLUMNS} FROM contacts ORDER BY code")]


async def put(conn: Conn | Pool, contact: Contact, secrets: Mapping[str, str],
              box: SecretBox) -> bool:
    """Create or replace a contact, each webhook's secret (``secrets[url]``) sealed; true
    when it was created."""
    hooks = json.dumps([{"url": w.url,
                         "sealed_secret": box.seal(secrets[w.url], _context(contact.code, w.url))}
                        for w in contact.webhooks])
    created: bool = await conn.fetchval(
        "INSERT INTO contacts (code, name, emails, webhooks, language, whatsapp)"
        " VALUES ($1, $2, $3, $4::jsonb, $5, $6)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, emails = EXCLUDED.emails,"
        " webhooks = EXCLUDED.webhooks, language = EXCLUDED.language,"
        " whatsapp = EXCLUDED.whatsapp, updated_at = now()"
        " RETURNING (xmax = 0)",
        contact.code, contact.name, list(contact.emails), hooks, contact.language,
        list(contact.whatsapp))
    return created


async def webhook_secret(conn: Conn | Pool, code: str, url: str, box: SecretBox) -> str | None:
    """The current secret of a contact's webhook (None if it is gone); SecretUnreadable
    when no configured key opens it."""
    row = await conn.fetchrow("SELECT code, webhooks::text AS webhooks FROM contacts"
                              " WHERE code = $1", code)
    hook = next((h for h in _hooks(row) if h["url"] == url), None) if row else None
    if hook is None:
        return None
    if "sealed_secret" in hook:
        return box.open(hook["sealed_secret"], _context(code, url))
    return hook["secret"]  # written by an older replica; sealed at the next start


def _resealed(code: str, hook: dict[str, str], box: SecretBox) -> dict[str, str]:
    sealed = hook.get("sealed_secret")
    if sealed is not None and box.is_current(sealed):
        return hook
    context = _context(code, hook["url"])
    secret = hook["secret"] if sealed is None else box.open(sealed, context)
    return {"url": hook["url"], "sealed_secret": box.seal(secret, context)}


async def seal_stored_secrets(pool: Pool, box: SecretBox) -> int:
    """Encrypt plain-text secrets and re-encrypt those of older keys with the first key,
    in one transaction; return the contacts changed.

    ConfigError naming the keys' setting (and the contacts) when a secret opens with
    none of the keys: the service must not run with keys that cannot read its secrets.
    """
    changed, unreadable = 0, []
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch("SELECT code, webhooks::text AS webhooks FROM contacts"
                                " ORDER BY code FOR UPDATE")
        for row in rows:
            hooks = _hooks(row)
            try:
                new = [_resealed(row["code"], hook, box) for hook in hooks]
            except SecretUnreadable as exc:
                unreadable.append(f"{row['code']} ({exc})")
                continue
            if new != hooks:
                await conn.execute("UPDATE contacts SET webhooks = $2::jsonb WHERE code = $1",
                                   row["code"], json.dumps(new))
                changed += 1
        if unreadable:
            raise ConfigError(f"{box.setting}: the webhook secrets of these contacts open with "
                              f"none of its keys: {'; '.join(unreadable)}. Configure the key "
                              f"that encrypted them (after the first key, to rotate).")
    return changed

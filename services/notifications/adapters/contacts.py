"""Contacts in PostgreSQL (table ``contacts``)."""

from __future__ import annotations

import json
from typing import Any

from plumbing.db import Conn, Pool
from services.notifications.domain.contacts import Contact, Webhook


def _contact(row: Any) -> Contact:
    hooks = json.loads(row["webhooks"]) if isinstance(row["webhooks"], str) else row["webhooks"]
    return Contact(code=row["code"], name=row["name"], emails=tuple(row["emails"]),
                   webhooks=tuple(Webhook(h["url"], h["secret"]) for h in hooks),
                   language=row["language"])


_COLUMNS = "code, name, emails, webhooks::text AS webhooks, language"


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


async def put(conn: Conn | Pool, contact: Contact) -> bool:
    """Create or replace a contact; true when it was created."""
    hooks = json.dumps([{"url": w.url, "secret": w.secret} for w in contact.webhooks])
    created: bool = await conn.fetchval(
        "INSERT INTO contacts (code, name, emails, webhooks, language)"
        " VALUES ($1, $2, $3, $4::jsonb, $5)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, emails = EXCLUDED.emails,"
        " webhooks = EXCLUDED.webhooks, language = EXCLUDED.language, updated_at = now()"
        " RETURNING (xmax = 0)",
        contact.code, contact.name, list(contact.emails), hooks, contact.language)
    return created

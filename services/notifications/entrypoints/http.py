"""HTTP routes: the delivery log and the contacts (DESIGN §8)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from plumbing.auth import SECRETARIAT, Principal, agency, principal_of
from plumbing.db import Pool
from plumbing.http import ProblemException
from services.notifications.adapters import contacts as contact_store
from services.notifications.adapters import deliveries
from services.notifications.domain.contacts import Contact, Webhook
from services.notifications.recipients import Directory

CODE = r"^[A-Z0-9_-]+$"
EMAIL = r"^[^@\s\x00]+@[^@\s\x00]+$"
Status = Literal["pending", "sending", "sent", "failed", "no_contact"]


class WebhookBody(BaseModel):
    """A webhook of a contact."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://[^\s\x00]+$", max_length=2000,
                     description="Endpoint that receives the signed JSON.")
    secret: str = Field(min_length=16, max_length=200, pattern=r"^[^\x00]*$",
                        description="HMAC-SHA256 key.")


class ContactBody(BaseModel):
    """``PUT /contacts/{code}``: where and in which language a recipient is told."""

    model_config = ConfigDict(extra="forbid")
    emails: list[Annotated[str, Field(pattern=EMAIL, max_length=320)]] = Field(
        default_factory=list, max_length=50)
    webhooks: list[WebhookBody] = Field(default_factory=list, max_length=20)
    language: Literal["id", "en"] = "id"
    name: str | None = Field(default=None, min_length=1, max_length=300, pattern=r"^[^\x00]*$",
                             description="How messages address the recipient.")


def contact_json(contact: Contact, configured: bool = False) -> dict[str, Any]:
    """A contact as the API shows it: webhook secrets are never shown."""
    return {"code": contact.code, "name": contact.name, "emails": list(contact.emails),
            "webhooks": [{"url": w.url} for w in contact.webhooks],
            "language": contact.language, "configured": configured}


def build_router(pool: Pool, directory: Directory) -> APIRouter:
    """The routes on the service's database."""
    router = APIRouter()

    @router.get("/deliveries")
    async def list_deliveries(
        agreement_id: UUID | None = None, status: Status | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        return await deliveries.log(pool, agreement_id, status, limit)

    @router.put("/contacts/{code}")
    async def put_contact(caller: Annotated[Principal, Depends(principal_of)],
                          code: Annotated[str, Path(pattern=CODE, max_length=40)],
                          body: ContactBody, response: Response) -> dict[str, Any]:
        if not caller.has(SECRETARIAT, agency(code)):
            raise ProblemException(403, "Forbidden", f"the contact {code} is set by the TKKSD "
                                   f"secretariat (role tkksd) or by that agency (role "
                                   f"{agency(code)})")
        urls = [w.url for w in body.webhooks]
        if len(set(urls)) != len(urls):
            raise ProblemException(422, "Invalid request", "a webhook URL is given twice")
        contact = Contact(code=code, emails=tuple(dict.fromkeys(body.emails)),
                          webhooks=tuple(Webhook(w.url, w.secret) for w in body.webhooks),
                          language=body.language, name=body.name)
        created = await contact_store.put(pool, contact)
        response.status_code = 201 if created else 200
        return contact_json(contact)

    @router.get("/contacts/{code}")
    async def get_contact(
            code: Annotated[str, Path(pattern=CODE, max_length=40)]) -> dict[str, Any]:
        async with pool.acquire() as conn:
            contact = (await directory.contacts(conn, [code]))[code]
        stored = await contact_store.get(pool, code)
        if stored is None and not (contact.emails or contact.webhooks):
            raise ProblemException(404, "Not Found", f"no contact {code}")
        return contact_json(contact, configured=stored is None)

    @router.get("/contacts")
    async def list_contacts() -> list[dict[str, Any]]:
        stored = {c.code: c for c in await contact_store.list_all(pool)}
        shown = [contact_json(c) for c in stored.values()]
        shown += [contact_json(c, configured=True)
                  for c in (directory.secretariat, directory.regional_secretary)
                  if c.code not in stored]
        return sorted(shown, key=lambda c: str(c["code"]))

    return router

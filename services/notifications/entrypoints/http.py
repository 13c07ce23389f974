"""HTTP routes: the delivery log and the contacts (docs/domain.md#http-interface), each readable by
its own
recipient and the TKKSD only (:mod:`services.notifications.application.queries`)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plumbing.auth import Principal, principal_of
from plumbing.db import Pool
from plumbing.http import ProblemException
from services.notifications.adapters import contacts as contact_store
from services.notifications.adapters import deliveries
from services.notifications.adapters.secret_box import SecretBox
from services.notifications.adapters.webhook_address import Destinations, WebhookRefused
from services.notifications.application.queries import Readers
from services.notifications.application.recipients import Directory
from services.notifications.domain import Rule
from services.notifications.domain.contacts import Contact, Webhook
from services.notifications.domain.whatsapp import check_number

CODE = r"^[A-Z0-9_-]+$"
EMAIL = r"^[^@\s\x00]+@[^@\s\x00]+$"
Status = Literal["pending", "sending", "sent", "failed", "no_contact", "skipped"]
Caller = Annotated[Principal, Depends(principal_of)]


class WebhookBody(BaseModel):
    """A webhook of a contact."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://[^\s\x00]+$", max_length=2000,
                     description="Endpoint that receives the signed JSON: https, no "
                     "credentials, a host that resolves to public addresses only.")
    secret: str = Field(min_length=16, max_length=200, pattern=r"^[^\x00]*$",
                        description="HMAC-SHA256 key.")


WhatsAppNumber = Annotated[str, AfterValidator(check_number)]
"""An E.164 number; a wrong one is a 422 naming its field and the value."""


class ContactBody(BaseModel):
    """``PUT /contacts/{code}``: where and in which language a recipient is told."""

    model_config = ConfigDict(extra="forbid")
    emails: list[Annotated[str, Field(pattern=EMAIL, max_length=320)]] = Field(
        default_factory=list, max_length=50)
    webhooks: list[WebhookBody] = Field(default_factory=list, max_length=20)
    whatsapp: list[WhatsAppNumber] = Field(
        default_factory=list, max_length=20, description="WhatsApp numbers, E.164 ('+', "
        "then 8 to 15 digits, the first not 0): told by the configured provider "
        "(KERJASAMA_WHATSAPP_PROVIDER).", examples=[["+6281234567890"]])
    language: Literal["id", "en"] = "id"
    name: str | None = Field(default=None, min_length=1, max_length=300, pattern=r"^[^\x00]*$",
                             description="How messages address the recipient.")


HIDDEN_ERROR = "the attempt failed (the TKKSD secretariat sees why)"
"""What a reader other than the TKKSD sees of a failed attempt's error."""


def contact_json(contact: Contact, configured: bool = False) -> dict[str, Any]:
    """A contact as the API shows it: webhook secrets are never shown."""
    return {"code": contact.code, "name": contact.name, "emails": list(contact.emails),
            "webhooks": [{"url": w.url} for w in contact.webhooks],
            "whatsapp": list(contact.whatsapp),
            "language": contact.language, "configured": configured}


def delivery_json(item: dict[str, Any], sees_errors: bool) -> dict[str, Any]:
    """A delivery as a reader sees it: the raw error of an attempt to the TKKSD only (the
    explanation of a row never attempted, no_contact or skipped, to every reader)."""
    if (not sees_errors and item["channel"] != "none" and item["status"] != "skipped"
            and item["last_error"]):
        return {**item, "last_error": HIDDEN_ERROR}
    return item


async def refused_webhooks(destinations: Destinations, body: ContactBody) -> list[dict[str, str]]:
    """The errors of webhook URLs that may not be used, each naming its field."""
    async def check(index: int, url: str) -> dict[str, str] | None:
        try:
            await destinations.check(url)
        except WebhookRefused as exc:
            return {"field": f"body.webhooks[{index}].url", "message": str(exc),
                    "type": "webhook_refused"}
        return None

    found = await asyncio.gather(*(check(i, w.url) for i, w in enumerate(body.webhooks)))
    return [error for error in found if error is not None]


def build_router(pool: Pool, directory: Directory, destinations: Destinations,
                 box: SecretBox) -> APIRouter:
    """The routes on the service's database."""
    router = APIRouter()
    readers = Readers(directory.secretariat.code, directory.regional_secretary.code)

    @router.get("/deliveries")
    async def list_deliveries(
        caller: Caller, agreement_id: UUID | None = None, status: Status | None = None,
        rule: Rule | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        items = await deliveries.log(pool, agreement_id, status, limit, readers.codes(caller),
                                     None if rule is None else rule.value)
        return [delivery_json(item, readers.sees_errors(caller)) for item in items]

    @router.put("/contacts/{code}")
    async def put_contact(caller: Caller,
                          code: Annotated[str, Path(pattern=CODE, max_length=40)],
                          body: ContactBody, response: Response) -> dict[str, Any]:
        if not readers.may_read(caller, code):
            raise ProblemException(403, "Forbidden", f"the contact {code} is set by "
                                   f"{readers.describe(code)}")
        urls = [w.url for w in body.webhooks]
        if len(set(urls)) != len(urls):
            raise ProblemException(422, "Invalid request", "a webhook URL is given twice")
        errors = await refused_webhooks(destinations, body)
        if errors:
            raise ProblemException(422, "Invalid request", "; ".join(
                f"{e['field']}: {e['message']}" for e in errors), errors=errors)
        contact = Contact(code=code, emails=tuple(dict.fromkeys(body.emails)),
                          webhooks=tuple(Webhook(url) for url in urls),
                          language=body.language, name=body.name,
                          whatsapp=tuple(dict.fromkeys(body.whatsapp)))
        secrets = {w.url: w.secret for w in body.webhooks}
        created = await contact_store.put(pool, contact, secrets, box)
        response.status_code = 201 if created else 200
        return contact_json(contact)

    @router.get("/contacts/{code}")
    async def get_contact(
            caller: Caller,
            code: Annotated[str, Path(pattern=CODE, max_length=40)]) -> dict[str, Any]:
        if not readers.may_read(caller, code):
            raise ProblemException(403, "Forbidden", f"the contact {code} is readable by "
                                   f"{readers.describe(code)}")
        async with pool.acquire() as conn:
            contact = (await directory.contacts(conn, [code]))[code]
        stored = await contact_store.get(pool, code)
        if stored is None and not (contact.emails or contact.webhooks or contact.whatsapp):
            raise ProblemException(404, "Not Found", f"no contact {code}")
        return contact_json(contact, configured=stored is None)

    @router.get("/contacts")
    async def list_contacts(caller: Caller) -> list[dict[str, Any]]:
        stored = {c.code: c for c in await contact_store.list_all(pool)}
        shown = [contact_json(c) for c in stored.values()]
        shown += [contact_json(c, configured=True)
                  for c in (directory.secretariat, directory.regional_secretary)
                  if c.code not in stored]
        return sorted((c for c in shown if readers.may_read(caller, str(c["code"]))),
                      key=lambda c: str(c["code"]))

    return router

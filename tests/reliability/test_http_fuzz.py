"""HTTP bad input: every route of every service, fuzzed from its own OpenAPI document.

Requests are drawn per operation (tests/reliability/openapi_fuzz.py): path, query and
header parameters and JSON bodies from their schemas, valid-shaped or broken, with ids,
milestones, idempotency keys and versions that exist so that the deeper checks (404, 412,
409, same key with another body, domain rules) are reached too. For every request: the
answer is never a 5xx; a 4xx is an RFC 9457 problem and leaves every table of the
service's database exactly as it was (tests/reliability/stored.py).

The default run sends a few dozen requests per operation; ``-m slow`` runs a deeper one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st

from plumbing.settings import load_settings
from services.agreements.app import create_app as create_agreements
from services.agreements.settings import AgreementsSettings
from services.notifications.app import create_app as create_notifications
from services.notifications.settings import NotificationsSettings
from services.reporting.app import create_app as create_reporting
from services.reporting.settings import ReportingSettings
from tests.conftest import MANAGEMENT_URL
from tests.integration.agreements.conftest import SIGN_BODY, propose_body, to_ready_to_sign
from tests.integration.reporting.histories import generate
from tests.integration.reporting.support import HistoryFeed
from tests.reliability.harness import Hosted, Target

EXAMPLES = {"agreements": 25, "notifications": 100, "reporting": 60}
"""Requests per operation in the default suite (all three services stay under a minute)."""
DEEP = 16
"""How many times more the slow run sends."""
KEYS = st.sampled_from(["fuzz-key-1", "fuzz-key-2", "fuzz-key-3"])
"""Idempotency keys shared by many requests: a key reused with another body is a 422."""
IF_MATCH = st.sampled_from(["*", "0", "1", "2", '"3"', 'W/"4"', "5", "6", "999999999",
                            "9999999999", "-1", "", '""', "3, 4", "abc"])


def hosted_service(factory: Any, database_url: str) -> Iterator[Hosted]:
    with Hosted(factory, database_url) as hosted:
        yield hosted


# --- agreements -------------------------------------------------------------------------

async def seed_agreements(client: httpx.AsyncClient) -> list[str]:
    """Agreements in several stages (one signed with milestones m1, m2), a work program."""
    proposed = (await client.post("/agreements", json=propose_body())).json()["id"]
    in_review = (await client.post("/agreements", json=propose_body())).json()["id"]
    assert (await client.post(f"/agreements/{in_review}/review")).status_code == 200
    ready = await to_ready_to_sign(client)
    signed = await to_ready_to_sign(client)
    for action, body in (("sign", SIGN_BODY), ("plan", {"milestones": [
            {"id": "m1", "title": "Galeri dibuka", "due_on": "2021-06-30"},
            {"id": "m2", "title": "Evaluasi", "due_on": "2021-12-30", "budget": 1000}]})):
        answer = await client.post(f"/agreements/{signed}/{action}", json=body)
        assert answer.status_code == 200, answer.text
    answer = await client.post("/work-programs/2021", json={"realization_target": 80,
                                                           "effectiveness_target": 60})
    assert answer.status_code == 201, answer.text
    return [proposed, in_review, ready, signed]


@pytest.fixture
def agreements(database_url: str) -> Iterator[Target]:
    settings = load_settings(AgreementsSettings, agreements_database_url=database_url,
                             messaging=False)
    for hosted in hosted_service(lambda: create_agreements(settings), database_url):
        ids = hosted.call(seed_agreements(hosted.client))
        yield Target(hosted, {
            "agreement_id": st.sampled_from(ids), "milestone_id": st.sampled_from(["m1", "m2"]),
            "year": st.sampled_from(["2021", "2022"]), "Idempotency-Key": KEYS,
            "If-Match": IF_MATCH})


def fuzz_agreements(target: Target, examples: int) -> None:
    target.fuzz(examples)
    print("agreements:", target.summary())
    # the fuzzer reached the handlers, not only the validation in front of them
    assert target.answered("POST /agreements", lambda s: s == 201) > 0
    assert target.answered("POST /work-programs/{year}", lambda s: s in (200, 201)) > 0
    assert sum(target.answered(f"POST /agreements/{{agreement_id}}/{action}",
                               lambda s: s == 200)
               for action in ("review", "withdraw", "follow-ups", "expire", "resubmit")) > 0
    for refusal in (404, 409, 412, 422):
        assert sum(n for (op, code), n in target.statuses.items()
                   if op.startswith("POST") and code == refusal) > 0, refusal


def test_no_agreements_route_answers_5xx_or_stores_anything_on_4xx(agreements: Target) -> None:
    fuzz_agreements(agreements, EXAMPLES["agreements"])


@pytest.mark.slow
def test_deep_fuzz_of_the_agreements_routes(agreements: Target) -> None:
    fuzz_agreements(agreements, DEEP * EXAMPLES["agreements"])


# --- notifications ----------------------------------------------------------------------

@pytest.fixture
def notifications(database_url: str, fresh_topology: str) -> Iterator[Target]:
    settings = load_settings(NotificationsSettings, notifications_database_url=database_url,
                             amqp_url=fresh_topology, rabbitmq_management_url=MANAGEMENT_URL)

    async def seed(client: httpx.AsyncClient) -> None:
        answer = await client.put("/contacts/DISKUK", json={
            "emails": ["diskuk@jabarprov.go.id"], "language": "id",
            "webhooks": [{"url": "https://example.invalid/hook", "secret": "s" * 32}]})
        assert answer.status_code == 201, answer.text

    for hosted in hosted_service(lambda: create_notifications(settings), database_url):
        hosted.call(seed(hosted.client))
        yield Target(hosted, {"code": st.sampled_from(["DISKUK", "TKKSD", "SEKDA", "DISHUB"])})


def test_a_contact_with_nul_is_a_422_not_a_500(notifications: Target) -> None:
    statuses = [notifications.hosted.status("PUT", "/contacts/DISKUK", json=body) for body in (
        {"emails": ["a\x00@b.id"]}, {"name": "Dinas\x00"},
        {"webhooks": [{"url": "https://h.id/\x00", "secret": "s" * 16}]})]
    assert statuses == [422, 422, 422]


def test_reading_a_contact_code_with_nul_is_a_4xx_not_a_500(notifications: Target) -> None:
    assert notifications.hosted.status("GET", "/contacts/%00") in (404, 422)


def fuzz_notifications(target: Target, examples: int) -> None:
    target.fuzz(examples)
    print("notifications:", target.summary())
    assert target.answered("PUT /contacts/{code}", lambda s: s in (200, 201)) > 0
    assert target.answered("PUT /contacts/{code}", lambda s: s == 422) > 0


def test_no_notifications_route_answers_5xx_or_stores_anything_on_4xx(
        notifications: Target) -> None:
    fuzz_notifications(notifications, EXAMPLES["notifications"])


@pytest.mark.slow
def test_deep_fuzz_of_the_notifications_routes(notifications: Target) -> None:
    fuzz_notifications(notifications, DEEP * EXAMPLES["notifications"])


# --- reporting --------------------------------------------------------------------------

@pytest.fixture
def reporting(database_url: str, fresh_topology: str) -> Iterator[Target]:
    settings = load_settings(ReportingSettings, reporting_database_url=database_url,
                             amqp_url=fresh_topology, rabbitmq_management_url=MANAGEMENT_URL,
                             refresh_seconds=3600, refresh_after_events_seconds=3600)
    feed = HistoryFeed(generate(seed=1, agreements=0), stored=0)  # an empty feed
    for hosted in hosted_service(lambda: create_reporting(settings, feed.client),
                                 database_url):
        yield Target(hosted, {"year": st.sampled_from(["2021", "2022"])})


def fuzz_reporting(target: Target, examples: int) -> None:
    target.fuzz(examples)
    print("reporting:", target.summary())
    assert target.answered("GET /kpis", lambda s: s == 200) > 0
    assert target.answered("GET /kpis/{indicator}", lambda s: s in (404, 422)) > 0


def test_no_reporting_route_answers_5xx_or_stores_anything_on_4xx(reporting: Target) -> None:
    fuzz_reporting(reporting, EXAMPLES["reporting"])


@pytest.mark.slow
def test_deep_fuzz_of_the_reporting_routes(reporting: Target) -> None:
    fuzz_reporting(reporting, DEEP * EXAMPLES["reporting"])

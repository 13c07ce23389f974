"""What the agreements service records as the actor comes from a bounded, named token."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest

from tests.auth import dev_key
from tests.integration.agreements.conftest import propose_body
from tests.integration.agreements.test_authorization import stored

NOW = int(time.time())
CLAIMS = {"roles": ["tkksd"], "iss": "kerjasama", "aud": "kerjasama", "iat": NOW}


@pytest.mark.parametrize(("claims", "why"), [
    ({"sub": "", "exp": NOW + 600}, "subject"),
    ({"sub": " ", "exp": NOW + 600}, "subject"),
    ({"sub": "x", "exp": NOW + 100 * 365 * 86400}, "longer than"),
])
async def test_a_token_without_a_subject_or_with_a_century_of_life_stores_nothing(
        agreements_client: httpx.AsyncClient, database_url: str, claims: dict[str, object],
        why: str) -> None:
    token = jwt.encode({**CLAIMS, **claims}, dev_key(), algorithm="HS256")
    answer = await agreements_client.post("/agreements", json=propose_body(),
                                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401, answer.text
    assert why in answer.json()["detail"]
    assert await stored(database_url) == (0, 0)


async def test_a_megabyte_bearer_header_is_a_401_and_stores_nothing(
        agreements_client: httpx.AsyncClient, database_url: str) -> None:
    answer = await agreements_client.post(
        "/agreements", json=propose_body(),
        headers={"Authorization": "Bearer " + "A" * 1_300_000})
    assert answer.status_code == 401
    assert "longer than 8192 bytes" in answer.json()["detail"]
    assert await stored(database_url) == (0, 0)

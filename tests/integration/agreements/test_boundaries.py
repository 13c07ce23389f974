"""The writer accepts only what every consumer can process (docs/domain.md#boundaries): dates
outside the
business-date domain and control characters in one-line text are 422s naming the field,
and nothing is stored."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from plumbing.clock import frozen
from tests.integration.agreements.conftest import SIGN_BODY, propose_body


async def _nothing_stored(client: httpx.AsyncClient) -> None:
    assert (await client.get("/events", params={"after": 0})).json() == []


def _fields(answer: httpx.Response) -> list[str]:
    problem: dict[str, Any] = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    return [e["field"].removeprefix("body.") for e in problem["errors"]]


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01", "1971-06-01", "1979-12-31",
                                 "2100-01-01"])
async def test_a_proposal_dated_outside_the_domain_is_a_422_and_stores_nothing(
        agreements_client: httpx.AsyncClient, day: str) -> None:
    answer = await agreements_client.post("/agreements", json=propose_body(proposed_on=day))
    assert answer.status_code == 422
    assert _fields(answer) == ["proposed_on"]
    assert "business-date domain" in answer.text
    await _nothing_stored(agreements_client)


@pytest.mark.parametrize("char", ["\r", "\u2028", "\x85", "\x0b"],
                         ids=["CR", "LINE_SEPARATOR", "NEL", "VT"])
async def test_a_title_with_a_line_breaking_character_is_a_422_and_stores_nothing(
        agreements_client: httpx.AsyncClient, char: str) -> None:
    answer = await agreements_client.post("/agreements", json=propose_body(
        title=f"Galeri UMKM{char}Subject: injected"))
    assert answer.status_code == 422
    assert _fields(answer) == ["title"]
    assert f"U+{ord(char):04X}" in answer.text
    await _nothing_stored(agreements_client)


async def test_the_ends_of_the_domain_are_accepted(agreements_client: httpx.AsyncClient
                                                   ) -> None:
    first = await agreements_client.post("/agreements", json=propose_body(
        proposed_on="1980-01-01", plan_year=1980))
    assert first.status_code == 201
    with frozen(date(2099, 12, 31)):
        aid = (await agreements_client.post("/agreements", json=propose_body(
            proposed_on="2099-01-01", plan_year=2099))).json()["id"]
        for action, body in (("review", None), ("draft", {"note": "Draf 1"}),
                             ("discuss", {"held_on": "2099-03-02", "summary": "Sepakat",
                                          "outcome": "AGREED"})):
            answer = await agreements_client.post(f"/agreements/{aid}/{action}", json=body)
            assert answer.status_code == 200, answer.text
        signed = await agreements_client.post(f"/agreements/{aid}/sign", json={
            **SIGN_BODY, "signed_on": "2099-06-01", "effective_from": "2099-06-01",
            "effective_until": "2099-12-31"})
    assert signed.status_code == 200, signed.text


@pytest.mark.parametrize(("path", "params"), [
    ("/work-programs/1979", None), ("/work-programs/2100", None)])
async def test_a_work_program_outside_the_domain_is_a_422(
        agreements_client: httpx.AsyncClient, path: str, params: Any) -> None:
    answer = await agreements_client.post(path, json={"realization_target": 80,
                                                       "effectiveness_target": 60})
    assert answer.status_code == 422
    await _nothing_stored(agreements_client)
    listing = await agreements_client.get("/agreements", params={"plan_year": 1979})
    assert listing.status_code == 422

"""agreement.proposed v1 events stored before v2, on the real agreements service, the broker and
reporting: the feed serves them as stored, the domain and reporting read them as v2, a rebuild
from the feed gives exactly the live figures, and new proposals are stored as v2."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from contracts.common import Kind, Stage
from contracts.events import AgreementProposed, AgreementProposedV1
from contracts.partners import partner_id_of
from plumbing.db import Pool, create_pool
from plumbing.settings import load_settings
from services.agreements.adapters.verify import verify_chains
from services.agreements.app import create_app as create_agreements_app
from services.agreements.settings import AgreementsSettings
from services.reporting.adapters import generations, store
from services.reporting.application.projection import Projection
from services.reporting.application.rebuild import Rebuilder
from services.reporting.domain import Figure
from tests.auth import auth_headers
from tests.conftest import DatabaseUrlFactory
from tests.database_roles import migrated_as_runtime
from tests.integration.reporting.support import (
    SIGNATORY,
    TODAY,
    AgreementsService,
    FeedRelay,
    ReportingFactory,
    wait_applied,
)
from tests.legacy import append_legacy
from tests.waiting import read_until

V1, V2 = AgreementProposedV1.event_type, AgreementProposed.event_type
BANK = {"name": "PT. Bank  BJB", "category": "THIRD_PARTY", "country": "ID"}


@pytest.fixture
async def agreements_and_store(database_url_factory: DatabaseUrlFactory, business_day: date
                               ) -> AsyncIterator[tuple[AgreementsService, Pool]]:
    """The real agreements service (as the ``agreements`` fixture runs it) and a pool on its
    database, to store events as an earlier release did."""
    url = await migrated_as_runtime(await database_url_factory("agreements"))
    app = create_agreements_app(load_settings(
        AgreementsSettings, agreements_database_url=url, messaging=False))
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(headers=auth_headers(), transport=transport,
                                         base_url="http://agreements") as client:
                yield AgreementsService(client), pool
    finally:
        await pool.close()


def proposal_v1(agreement_id: UUID, partner: dict[str, str], kind: Kind,
                title: str) -> dict[str, Any]:
    """The data the release before v2 stored for a proposal (no partner_id)."""
    data: dict[str, Any] = AgreementProposedV1(
        agreement_id=agreement_id, version=1, stage=Stage.PROPOSED, title=title, kind=kind,
        document_type="MOU", partner=partner, lead_opd="DISKUK", objective="Kerja sama lama",
        sector="Ekonomi", burdens_budget=False, plan_year=2021, proposed_on="2021-01-11",
    ).model_dump(mode="json")
    return data


async def store_v1_proposal(agreements: AgreementsService, pool: Pool, agreement_id: UUID,
                            data: dict[str, Any]) -> None:
    """Store it through the event store's own append (hash chain and outbox row as the
    store computes them), as the earlier release did."""
    await append_legacy(pool, str(agreement_id), 1, V1, data)
    agreements.versions[str(agreement_id)] = 1


async def sign_the_rest_of_the_way(agreements: AgreementsService, aid: str) -> None:
    """Review, draft, discuss and sign, the normal way (over HTTP)."""
    for action, body in (("review", None), ("draft", {"note": "Draf 1"}),
                         ("discuss", {"held_on": "2021-03-02", "summary": "Sepakat",
                                      "outcome": "AGREED"}),
                         ("sign", {"number": f"120/{aid[:6]}/Pem.Um", "signed_on": "2021-04-20",
                                   "signatory": SIGNATORY, "effective_from": "2021-04-20",
                                   "effective_until": "2024-04-19"})):
        await agreements.post(f"/agreements/{aid}/{action}", body)


async def figures_of(pool: Pool, schema: str) -> list[Figure]:
    async with generations.enter_schema(pool, schema) as conn:
        return await store.figures_where(conn)


async def test_v1_proposals_stored_before_v2_are_served_as_stored_and_read_as_v2(
        agreements_and_store: tuple[AgreementsService, Pool], fresh_topology: str,
        reporting_factory: ReportingFactory) -> None:
    agreements, pool = agreements_and_store
    feed = FeedRelay(agreements, fresh_topology)
    await agreements.work_program(2021, 80, 60)
    signed_old, open_old = uuid4(), uuid4()
    stored_v1 = {
        signed_old: proposal_v1(signed_old, BANK, Kind.KSDPK, "Kerja sama lama, ditandatangani"),
        open_old: proposal_v1(open_old, {"name": "Kabupaten Bogor", "country": "ID",
                                         "category": "REGIONAL_GOVERNMENT"},
                              Kind.KSDD, "Kerja sama lama, masih ditelaah"),
    }
    for aid, data in stored_v1.items():
        await store_v1_proposal(agreements, pool, aid, data)

    # later events are appended the normal way, on the state the domain reads from v1
    await sign_the_rest_of_the_way(agreements, str(signed_old))
    await agreements.post(f"/agreements/{open_old}/review")
    view = (await agreements.http.get(f"/agreements/{signed_old}")).json()
    assert view["stage"] == "SIGNED" and view["version"] == 5
    assert view["partner"] == BANK
    assert view["partner_id"] == str(partner_id_of("pt bank bjb", "ID"))
    new = await agreements.sign("2021-04-21", "2024-04-20", plan_year=2021,
                                proposed_on="2021-02-01",
                                partner={**BANK, "name": "pt bank bjb"})

    # the feed serves every event exactly as stored: v1 without partner_id, v2 with it
    async def firsts() -> dict[str, Any]:
        served = (await agreements.http.get("/events", params={"after": 0})).json()
        return {e["subject"]: e for e in served if e["sequence"] == "0000000001"}

    first = await read_until(firsts, lambda f: {*map(str, stored_v1), new} <= f.keys())
    for aid, data in stored_v1.items():
        assert first[str(aid)]["type"] == V1
        assert first[str(aid)]["data"] == data
    assert first[new]["type"] == V2
    assert first[new]["data"]["partner_id"] == view["partner_id"]  # the same partner
    stream = (await agreements.http.get(f"/agreements/{signed_old}/events")).json()
    assert [e["type"] for e in stream][:2] == [V1, "kerjasama.agreement.review_started.v1"]
    checked = await verify_chains(pool)
    assert checked.broken == [] and checked.refused == []  # the ledger covers the stored form

    # reporting consumes them live from the broker, reading v1 as v2
    reporting = await reporting_factory(agreements.client)
    published = await feed.relay()
    assert len(published) == agreements.stored
    assert sorted(e.type for e in published if "proposed" in e.type) == [V1, V1, V2]
    assert all(type(e.data) is AgreementProposed for e in published if "proposed" in e.type)
    await wait_applied(reporting, agreements.stored)
    [realization] = [f for f in await reporting.queries.figures(2021)
                     if f.indicator == "realization" and f.scope == "province"]
    assert (realization.numerator, realization.denominator) == (2, 3)
    [by_kind] = [f for f in await reporting.queries.figures(2021)
                 if f.indicator == "agreements" and f.scope == f"kind:{Kind.KSDD}"]
    assert by_kind.numerator == 1  # the open v1 proposal counts too
    await reporting.service.refresh()  # the time-dependent figures, as the periodic refresh

    # a rebuild from the feed (v1 as served) equals the live projection exactly
    report = await Rebuilder(reporting.pool, agreements.client, Projection(),
                             today=lambda: TODAY).run()
    assert report.replayed == agreements.stored
    assert report.changed_figures == 0
    live = await figures_of(reporting.pool, "reporting_g1")
    rebuilt = await figures_of(reporting.pool, "reporting_g2")
    assert len(live) > 10
    assert rebuilt == live

"""The portal keeps answering from the last data it has while the broker, the agreements
service and reporting are all unreachable: it reads nothing but its own database."""

from __future__ import annotations

import socket
from datetime import date

import httpx

from contracts.events import AgreementProposed, AgreementSigned
from contracts.examples import example_of
from plumbing import clock
from plumbing.agreements_client import AgreementsClient
from plumbing.settings import load_settings
from services.portal.adapters import store
from services.portal.adapters.reporting import ReportingReader
from services.portal.app import create_app
from services.portal.domain.register import evolve
from services.portal.settings import PortalSettings
from tests.conftest import DatabaseUrlFactory
from tests.integration.portal.conftest import figure


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once it is closed


async def test_the_pages_answer_while_everything_else_is_down(
        database_url_factory: DatabaseUrlFactory) -> None:
    nowhere = f"http://127.0.0.1:{closed_port()}"
    settings = load_settings(
        PortalSettings, portal_database_url=await database_url_factory("portal"),
        amqp_url=f"amqp://guest:guest@127.0.0.1:{closed_port()}/", agreements_url=nowhere,
        reporting_url=nowhere, transient_retry_seconds=5)
    proposed = example_of(AgreementProposed, title="Kerja sama yang tetap tampil")
    signed = example_of(AgreementSigned, agreement_id=proposed.agreement_id, version=6)
    view = evolve(evolve(None, proposed), signed)
    app = create_app(settings, AgreementsClient(nowhere), ReportingReader(nowhere))
    with clock.frozen(date(2022, 1, 10)):
        async with app.router.lifespan_context(app):
            pool = app.state.runtime.pool
            await store.save(pool, view, None)  # what it had before everything went down
            await store.save_figures(pool, [figure("realization", 2021, "province", 9, 13,
                                                   revision=2, target=80)])
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://portal") as client:
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and "broker" in ready.text
                register = await client.get("/register")
                assert register.status_code == 200
                assert "Kerja sama yang tetap tampil" in register.text
                one = await client.get(f"/register/{view.id}")
                assert one.status_code == 200 and signed.number in one.text
                dashboard = await client.get("/", params={"year": "2021"})
                assert dashboard.status_code == 200 and "69.23%" in dashboard.text
                assert (await client.get("/open-data/agreements.csv")).status_code == 200

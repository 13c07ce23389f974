"""Operator actions of the portal: ``python -m services.portal rebuild`` reads the whole
agreements feed again and every figure from reporting, in one transaction (the live
consumer waits meanwhile; the pages keep answering from what was there)."""

from __future__ import annotations

import argparse

from plumbing import inbox
from plumbing.agreements_client import AgreementsClient, agreements_token_from, inbox_event
from plumbing.db import Conn
from plumbing.settings import load_settings
from services.portal.adapters import store
from services.portal.adapters.database import open_database
from services.portal.adapters.reporting import ReportingReader
from services.portal.application.service import apply_event
from services.portal.settings import PortalSettings

PAGE = 1000


async def rebuild_portal(settings: PortalSettings, agreements: AgreementsClient,
                         reporting: ReportingReader) -> tuple[int, int]:
    """Replace the portal's data by the feed's and reporting's; (events, figures)."""
    pool = await open_database(settings)
    try:
        figures = await reporting.figures()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(  # the live consumer waits on the lock TRUNCATE takes
                "TRUNCATE agreements, figures, priorities, partners, inbox_events,"
                " inbox_streams")
            after, events = 0, 0
            while page := await agreements.feed(after, PAGE):
                await inbox.handle_many_in_transaction(
                    conn, [inbox_event(d) for d in page], _apply_all, agreements.missing)
                after = max(d.envelope.position or 0 for d in page)
                events += len(page)
            taken = await store.save_figures(conn, figures)
        return events, taken
    finally:
        await pool.close()


async def _apply_all(conn: Conn, batch: list[inbox.InboxEvent]) -> None:
    for event in batch:
        await apply_event(conn, event)


async def rebuild(args: list[str]) -> str:
    """``rebuild``: what it did."""
    argparse.ArgumentParser(prog="python -m services.portal rebuild").parse_args(args)
    settings = load_settings(PortalSettings)
    token = agreements_token_from(settings, "portal")
    agreements = AgreementsClient(settings.agreements_url, token=token)
    reporting = ReportingReader(str(settings.reporting_url), token)
    try:
        events, figures = await rebuild_portal(settings, agreements, reporting)
    finally:
        await agreements.aclose()
        await reporting.aclose()
    return f"rebuilt the portal: {events} events from the feed, {figures} figures"


ACTIONS = {"rebuild": rebuild}

"""The independent check of the figures (DESIGN §9): ``python -m services.reporting
verify-figures --year Y [--as-of-position N]`` (``kerjasama kpi verify``).

Reads the agreements service's public feed and folds it with the contract and the pure
rules of :mod:`services.reporting.domain.evaluation`; nothing is read from reporting's
database. Every figure of the year is compared with what the running reporting service
serves (``GET /kpis``, and ``GET /kpis?as_of_position=`` for the same prefix when its
position differs); a difference is an OperatorError naming each figure and, from the
evidence, the first agreement counted differently.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from contracts.codec import ContractError, decode
from contracts.kpi import Indicator
from plumbing import clock
from plumbing.errors import OperatorError
from plumbing.feed_verify import verify_feed
from plumbing.ledger import Checkpoint, public_key_of
from plumbing.service_client import ServiceClient, service_url
from services.reporting.domain.evaluation import Record, evidence, figures, record_of
from services.reporting.domain.facts import EventRef
from services.reporting.domain.figures import Figure, FigureKey

PAGE = 1000


async def verify_figures_action(args: list[str]) -> str:
    """``verify-figures``: what was checked; OperatorError on any difference."""
    parser = argparse.ArgumentParser(prog="python -m services.reporting verify-figures")
    parser.add_argument("--year", type=int, required=True)
    parser.add_argument("--as-of-position", type=int, default=None)
    parser.add_argument("--user", default="operator")
    options = parser.parse_args(args)
    async with ServiceClient("agreements", service_url("agreements"), options.user) as feed:
        events = await _pages(feed, "/events", options.as_of_position)
        checked = await _check_feed(feed, events)
    async with ServiceClient("reporting", service_url("reporting"), options.user) as served:
        return checked + "\n" + await verify_figures(served, events, options.year,
                                                     options.as_of_position)


async def _pages(client: ServiceClient, path: str, until: int | None = None
                 ) -> list[dict[str, Any]]:
    """Every item of a list the agreements service pages by ``position`` (up to
    ``until``)."""
    items: list[dict[str, Any]] = []
    after = 0
    while True:
        page: list[dict[str, Any]] = await client.get_json(path, after=after, limit=PAGE)
        items.extend(e for e in page if until is None or int(e["position"]) <= until)
        if len(page) < PAGE:
            break
        after = int(page[-1]["position"])
        if until is not None and after >= until:
            break
    return items


async def _check_feed(feed: ServiceClient, events: list[dict[str, Any]]) -> str:
    """The events read, checked against the signed checkpoints they reach (as ``kerjasama
    verify`` checks the whole feed); OperatorError naming what does not hold."""
    key = public_key_of(await feed.get_json("/checkpoints/public-key"))
    last = max((int(e["position"]) for e in events), default=0)
    checkpoints = [c for c in map(Checkpoint.from_json, await _pages(feed, "/checkpoints"))
                   if c.position <= last]
    result = verify_feed(events, checkpoints, key)
    if result.problems:
        raise OperatorError("\n".join(result.problems))
    return result.summary(len(checkpoints))


async def verify_figures(reporting: ServiceClient, events: list[dict[str, Any]], year: int,
                         position: int | None) -> str:
    """Recompute every figure of ``year`` from the feed's events (contracts and the pure
    rules, nothing of reporting's database) and compare with what reporting serves;
    OperatorError naming each difference and the first agreement behind it."""
    folded = []
    for event in events:
        try:
            decoded = decode(event, unknown_events=True)
        except ContractError as exc:
            raise OperatorError(f"the feed serves an event the contract refuses at "
                                f"position {event.get('position')}: {exc}") from None
        envelope = decoded.envelope
        if envelope.time is None:
            raise OperatorError(f"the feed serves an event without a time at position "
                                f"{envelope.position}")
        folded.append((decoded.data, EventRef(envelope.id, int(envelope.position or 0),
                                              envelope.type,
                                              clock.to_wib(envelope.time).date())))
    last = position if position is not None else max(
        (ref.position for _, ref in folded), default=0)
    record = record_of(folded)
    today = clock.today()
    mine = figures(record, year, today)
    sources = [await reporting.get_json("/kpis", year=year, as_of_position=last)]
    current = await reporting.get_json("/kpis", year=year)
    if position is None and all(i["as_of_position"] == last for i in current):
        sources.append(current)  # the figures as published, besides the record's
    problems: list[str] = []
    for served in sources:
        problems += await _compare(reporting, record, mine, served, (year, last, today))
    if problems:
        count = len(dict.fromkeys(problems))
        raise OperatorError(f"{count} figure{'s' if count != 1 else ''} of {year} differ"
                            f"{'' if count != 1 else 's'} from the feed up to "
                            f"position {last}:\n" + "\n".join(dict.fromkeys(problems)))
    return (f"recomputed {len(mine)} figures of {year} from {len(events)} events of the "
            f"public feed (up to position {last}): all equal what reporting serves, as "
            "computed from its record and as published")


async def _compare(reporting: ServiceClient, record: Record, mine: dict[FigureKey, Figure],
                   served: list[dict[str, Any]], point: tuple[int, int, date]) -> list[str]:
    """Each figure that differs, with the first agreement counted differently."""
    year, last, today = point
    theirs = {FigureKey(Indicator(i["indicator"]), i["year"], i["scope"]): i for i in served}
    problems = []
    for key in sorted(mine.keys() | theirs.keys()):
        figure, item = mine.get(key), theirs.get(key)
        expected = (figure.numerator, figure.denominator, figure.target) if figure else None
        got = (item["numerator"], item["denominator"], item["target"]) if item else None
        if _zero(expected, key) == _zero(got, key):
            continue
        line = f"{key.indicator.value} {key.year} {key.scope}: reporting says {got}, " \
               f"the feed gives {expected}"
        proof = evidence(record, key, today)
        wanted = {str(i.ident): i.reason.value for i in proof.counted}
        answer = await reporting.get_json(f"/kpis/{key.indicator.value}/evidence",
                                          year=year, scope=key.scope, as_of_position=last)
        said = {i.get("mapping_item_id") or i["agreement_id"]: i["reason"]
                for i in answer["counted"]}
        differing = sorted(set(wanted.items()) ^ set(said.items()))
        if differing:
            aid = differing[0][0]
            line += (f"; first agreement that differs: {aid} (the feed: "
                     f"{wanted.get(aid, 'not counted')}, reporting: "
                     f"{said.get(aid, 'not counted')})")
        else:
            line += "; reporting's record counts the same agreements: the stored figure " \
                    "itself differs"
        problems.append(line)
    return problems


def _zero(values: tuple[Any, ...] | None, key: Any) -> tuple[Any, ...]:
    """A figure's (numerator, denominator, target) with absent taken as zero: a figure
    reporting never made and one it keeps at zero are the same figure."""
    if values is None:
        ratio = key.indicator in (Indicator.REALIZATION, Indicator.EFFECTIVENESS)
        return (0, 0 if ratio else None, None)
    numerator, denominator, target = values  # compared as numbers: 53 == 53.0, and whole
    return (numerator, denominator, target if numerator or denominator else None)  # rupiah
    # past 2^53 stay exact



"""An outside system of kerjasama in one file, with public libraries only (aio-pika, httpx).

It follows its agreement events and the yearly indicators of its agency from its own
queues, proposes an agreement by an AMQP command, follows it to signing over HTTP (playing
the secretariat's steps too, for the demonstration) and prints what it sees, one line each:

    reply: accepted <id> version <v> stage <STAGE>
    step: <action> -> version <v> stage <STAGE>
    event: <type> <subject> sequence <n>
    kpi: <indicator> <year> <scope> <numerator>/<denominator> revision <r>
    change: realization <year> opd:<AGENCY> <num>/<den> -> <num>/<den>
    done: <id> SIGNED

Configuration (environment): AMQP_URL, AGREEMENTS_URL, TOKEN, SYSTEM, AGENCY, YEAR and
optionally TIMEOUT_SECONDS (60). Exit status 0 when done, 1 on a refusal, an error answer
or a timeout. See README.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import uuid4

import aio_pika
import aio_pika.abc
import aio_pika.exceptions
import httpx

COMMANDS_EXCHANGE = "kerjasama.commands"
CLOUDEVENTS_JSON = "application/cloudevents+json"
SIGNED = "kerjasama.agreement.signed.v1"
KPI_UPDATED = "kerjasama.kpi.updated."


class GapNotFilled(Exception):
    """Raised when the agreement's events do not hold a missing sequence yet."""


class Stop(Exception):
    """Raised to end the run with an exit status, after its line was printed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def say(line: str) -> None:
    """One line of output, at once (another program may be reading it)."""
    print(line, flush=True)


@dataclass(frozen=True)
class Config:
    """What the environment says."""

    amqp_url: str
    agreements_url: str
    token: str
    system: str
    agency: str
    year: int
    timeout: float

    @classmethod
    def from_env(cls) -> Config:
        missing = [name for name in ("AMQP_URL", "AGREEMENTS_URL", "TOKEN", "SYSTEM", "AGENCY",
                                     "YEAR") if not os.environ.get(name)]
        if missing:
            sys.exit(f"set {', '.join(missing)} (see examples/python/README.md)")
        env = os.environ
        return cls(env["AMQP_URL"], env["AGREEMENTS_URL"].rstrip("/"), env["TOKEN"],
                   env["SYSTEM"], env["AGENCY"], int(env["YEAR"]),
                   float(env.get("TIMEOUT_SECONDS") or 60))

    @property
    def broker_user(self) -> str:
        """The user of AMQP_URL: a command's ``user_id``, which the broker checks."""
        return unquote(urlsplit(self.amqp_url).username or "guest")

    @property
    def scope(self) -> str:
        return f"opd:{self.agency}"


@dataclass(frozen=True)
class Figure:
    """One revision of a figure as ``kpi.updated`` told it."""

    numerator: int | float
    denominator: int | None
    revision: int
    as_of_position: int

    def __str__(self) -> str:
        return f"{self.numerator}/{'-' if self.denominator is None else self.denominator}"


class Follower:
    """What arrives on the two queues: its agreement's events in order, its agency's figures.

    Events are deduplicated by CloudEvent ``id`` and printed in ``sequence`` order per
    agreement; a missing sequence is filled from ``GET /agreements/{id}/events``. Figures
    are deduplicated by ``id`` and a revision not newer than the last one seen is dropped.
    """

    def __init__(self, config: Config, http: httpx.AsyncClient) -> None:
        self.config = config
        self.http = http
        self.seen: set[str] = set()  # CloudEvent ids handled (a long-running system keeps
        # them in its database, with the effect of the message, for as long as redeliveries
        # can come)
        self.agreement_id: str | None = None
        self.early: list[dict[str, Any]] = []  # events received before the reply named ours
        self.printed = 0  # the last sequence printed of our agreement
        self.proposed_position: int | None = None
        self.signed_position: int | None = None
        self.revisions: dict[tuple[str, int, str], int] = {}
        self.realization: list[Figure] = []
        self.lock = asyncio.Lock()  # one message at a time: order is the point
        self.news = asyncio.Condition()

    async def until(self, condition: Callable[[], object]) -> None:
        """Wait until ``condition()`` holds (checked whenever a message was handled)."""
        async with self.news:
            await self.news.wait_for(condition)

    async def _told(self) -> None:
        async with self.news:
            self.news.notify_all()

    async def on_event(self, event: dict[str, Any]) -> None:
        async with self.lock:
            if event["id"] in self.seen:
                return
            if self.agreement_id is None:
                self.early.append(event)
            elif event.get("subject") == self.agreement_id:
                await self._in_order(event)
            self.seen.add(event["id"])
        await self._told()

    async def ours(self, agreement_id: str) -> None:
        """The reply named our agreement: its events that came before it, in order."""
        async with self.lock:
            self.agreement_id = agreement_id
            early, self.early = self.early, []
            for event in early:
                if event.get("subject") == agreement_id:
                    try:
                        await self._in_order(event)
                    except (httpx.HTTPError, GapNotFilled) as error:  # acked already: the
                        # next event of the agreement fills the gap
                        print(f"could not order {event['id']}: {error!r}", file=sys.stderr)
        await self._told()

    async def _in_order(self, event: dict[str, Any]) -> None:
        sequence = int(event["sequence"])
        if sequence <= self.printed:
            return  # printed already: it came after its gap was filled
        if sequence > self.printed + 1:
            await self._fill_gap(sequence)
            if sequence > self.printed + 1:  # handled again when redelivered
                raise GapNotFilled(f"sequence {self.printed + 1} of {self.agreement_id} is "
                                   "not among its events yet")
        self._show(event)

    async def _fill_gap(self, before: int) -> None:
        answer = await self.http.get(f"/agreements/{self.agreement_id}/events")
        answer.raise_for_status()
        for stored in answer.json():
            if self.printed < int(stored["sequence"]) < before:
                self._show(stored)

    def _show(self, event: dict[str, Any]) -> None:
        sequence = int(event["sequence"])
        say(f"event: {event['type']} {event['subject']} sequence {sequence}")
        self.printed = sequence
        self.seen.add(event["id"])
        if sequence == 1:
            self.proposed_position = event.get("position")
        if event["type"] == SIGNED:
            self.signed_position = event.get("position")

    async def on_kpi(self, event: dict[str, Any]) -> None:
        async with self.lock:
            if event["id"] in self.seen or not event["type"].startswith(KPI_UPDATED):
                return
            self.seen.add(event["id"])
            data = event["data"]
            if data["year"] != self.config.year or data["scope"] != self.config.scope:
                return
            key = (data["indicator"], data["year"], data["scope"])
            if data["revision"] <= self.revisions.get(key, 0):
                return  # not newer than what we have: it came late
            self.revisions[key] = data["revision"]
            figure = Figure(data["numerator"], data["denominator"], data["revision"],
                            data["as_of_position"])
            say(f"kpi: {key[0]} {key[1]} {key[2]} {figure} revision {figure.revision}")
            if key[0] == "realization":
                self.realization.append(figure)
        await self._told()

    def counted_proposal(self) -> bool:
        """Whether a realization figure has counted our proposal (in its plan)."""
        position = self.proposed_position
        return position is not None and any(f.as_of_position >= position
                                            for f in self.realization)

    def change(self) -> tuple[Figure, Figure] | None:
        """The realization figure before our signing and the first one that counts it."""
        position = self.signed_position
        if position is None:
            return None
        before = max((f for f in self.realization if f.as_of_position < position),
                     key=lambda f: f.revision, default=None)
        if before is None:
            return None
        after = min((f for f in self.realization if f.as_of_position >= position
                     and f.numerator > before.numerator), key=lambda f: f.revision, default=None)
        return None if after is None else (before, after)

    def waiting_for(self) -> str:
        if self.agreement_id is None:
            return "the reply to agreement.propose"
        missing = []
        if self.signed_position is None:
            missing.append(f"{SIGNED} of {self.agreement_id}")
        figure = f"kpi.updated of realization {self.config.year} {self.config.scope}"
        if not self.counted_proposal():
            missing.append(f"{figure} counting the proposal")
        elif self.change() is None:
            missing.append(f"{figure} counting the signing")
        return ", ".join(missing) or "nothing"


async def consume(queue: aio_pika.abc.AbstractQueue,
                  handle: Callable[[dict[str, Any]], Any]) -> asyncio.Task[None]:
    """Consume ``queue`` (manual ack) one message at a time; the worker task."""
    inbox: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    await queue.consume(inbox.put)

    async def work() -> None:
        while True:
            message = await inbox.get()
            try:
                await handle(json.loads(message.body))
            except (httpx.HTTPError, GapNotFilled) as error:  # try again in a moment
                print(f"retrying a message of {queue.name}: {error!r}", file=sys.stderr)
                await message.nack(requeue=True)
                await asyncio.sleep(1)
            except (KeyError, TypeError, ValueError) as error:  # not a message we can read
                print(f"rejected a message of {queue.name}: {error!r}", file=sys.stderr)
                await message.reject()  # dead-lettered, if the queue says where
            else:
                await message.ack()

    return asyncio.create_task(work())


def cloudevent(config: Config, command_type: str, data: dict[str, Any]) -> bytes:
    return json.dumps({
        "specversion": "1.0", "id": str(uuid4()), "source": f"/external/{config.system}",
        "type": command_type, "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json", "data": data}).encode()


async def propose(config: Config, channel: aio_pika.abc.AbstractChannel) -> dict[str, Any]:
    """Send ``agreement.propose`` and wait for the reply on a server-named exclusive queue."""
    replies = await channel.declare_queue(exclusive=True)  # the broker names it amq.gen-…
    correlation_id = str(uuid4())
    answered: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def on_reply(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            if message.correlation_id == correlation_id and not answered.done():
                answered.set_result(json.loads(message.body))

    await replies.consume(on_reply)
    command_id = f"{config.system}-{uuid4()}"
    data = {
        "command_id": command_id,
        "title": f"Promosi wisata budaya {config.agency} ({command_id[-8:]})",
        "kind": "KSDPK", "document_type": "PKS",
        "partner": {"name": "PT Contoh Wisata Nusantara", "category": "THIRD_PARTY",
                    "country": "ID"},
        "lead_opd": config.agency, "objective": "Promosi destinasi wisata budaya bersama",
        "sector": "Pariwisata", "burdens_budget": False, "plan_year": config.year,
        "proposed_on": f"{config.year}-01-11",
    }
    traceparent = f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    exchange = await channel.get_exchange(COMMANDS_EXCHANGE, ensure=False)
    await exchange.publish(aio_pika.Message(
        cloudevent(config, "kerjasama.agreement.propose.v1", data),
        content_type=CLOUDEVENTS_JSON, correlation_id=correlation_id, reply_to=replies.name,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT, user_id=config.broker_user,
        headers={"traceparent": traceparent}), routing_key="agreement.propose")
    return await answered


async def step(http: httpx.AsyncClient, agreement_id: str, action: str, version: int,
               body: dict[str, Any] | None = None) -> tuple[int, str]:
    """POST one action with a fresh Idempotency-Key and If-Match; its version and stage."""
    answer = await http.post(f"/agreements/{agreement_id}/{action}", json=body, headers={
        "Idempotency-Key": str(uuid4()), "If-Match": f'"{version}"'})
    if answer.is_error:
        try:
            problem = answer.json()
        except ValueError:
            problem = {"title": answer.reason_phrase, "detail": answer.text[:200]}
        say(f"step: {action} failed {answer.status_code} {problem.get('title')}: "
            f"{problem.get('detail')}")
        raise Stop(1)
    outcome = answer.json()
    say(f"step: {action} -> version {outcome['version']} stage {outcome['stage']}")
    return int(outcome["version"]), str(outcome["stage"])


async def follow_to_signing(config: Config, follower: Follower, http: httpx.AsyncClient,
                            commands: aio_pika.abc.AbstractChannel) -> str:
    reply = (await propose(config, commands))["data"]
    if not reply["accepted"]:
        problem = reply["problem"]
        say(f"reply: refused {problem['status']} {problem['type']}: {problem['detail']}")
        raise Stop(1)
    outcome = reply["outcome"]
    agreement_id, version = str(outcome["id"]), int(outcome["version"])
    say(f"reply: accepted {agreement_id} version {version} stage {outcome['stage']}")
    await follower.ours(agreement_id)

    year = config.year
    version, _ = await step(http, agreement_id, "review", version)
    version, _ = await step(http, agreement_id, "draft", version, {"note": "Draf pertama"})
    version, _ = await step(http, agreement_id, "discuss", version, {
        "held_on": f"{year}-03-02", "summary": "Para pihak sepakat atas draf",
        "outcome": "AGREED"})
    # the figure before the signing, so that the change can be told
    await follower.until(follower.counted_proposal)
    await step(http, agreement_id, "sign", version, {
        "number": f"556/{agreement_id[:8]}/{config.agency}", "signed_on": f"{year}-04-20",
        "signatory": {"name": "Sekretaris Daerah", "role": "REGIONAL_SECRETARY"},
        "effective_from": f"{year}-04-20", "effective_until": f"{year + 3}-04-19"})
    await follower.until(follower.change)
    return agreement_id


async def run(config: Config) -> int:
    headers = {"Authorization": f"Bearer {config.token}"}
    async with httpx.AsyncClient(base_url=config.agreements_url, headers=headers,
                                 timeout=10) as http:
        connection = await aio_pika.connect(config.amqp_url)
        async with connection:
            follow = await connection.channel()
            await follow.set_qos(prefetch_count=50)
            commands = await connection.channel()  # an error here leaves the consumers be
            follower = Follower(config, http)
            prefix = f"external.{config.system}."
            workers = [
                await consume(await follow.get_queue(prefix + "events", ensure=False),
                              follower.on_event),
                await consume(await follow.get_queue(prefix + "kpi", ensure=False),
                              follower.on_kpi)]
            try:
                async with asyncio.timeout(config.timeout):
                    agreement_id = await follow_to_signing(config, follower, http, commands)
            except TimeoutError:
                say(f"timeout: {follower.waiting_for()}")
                return 1
            except Stop as stop:
                return stop.status
            finally:
                for worker in workers:
                    worker.cancel()
            change = follower.change()
            assert change is not None
            before, after = change
            say(f"change: realization {config.year} {config.scope} {before} -> {after}")
            say(f"done: {agreement_id} SIGNED")
            return 0


def main() -> None:
    config = Config.from_env()
    try:
        status = asyncio.run(run(config))
    except (OSError, httpx.HTTPError, aio_pika.exceptions.AMQPError) as error:
        # the broker or the service unreachable, a queue missing or not ours, ...
        print(f"error: {error!r}", file=sys.stderr)
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()

"""An outside system of kerjasama in one file, with public libraries only (aio-pika, httpx).

It follows the agreements of its agency and the yearly indicators of its agency from its
own queues, proposes an agreement by an AMQP command, follows it to signing over HTTP
(playing the secretariat's steps too, for the demonstration) and prints what it sees, one
line each:

    reply: accepted <id> version <v> stage <STAGE>
    step: <action> -> version <v> stage <STAGE>
    event: <type> <subject> sequence <n>
    kpi: <indicator> <year> <scope> <numerator>/<denominator> revision <r>
    change: realization <year> opd:<AGENCY> <num>/<den> -> <num>/<den>
    done: <id> SIGNED

Configuration (environment): AMQP_URL, AGREEMENTS_URL, TOKEN, SYSTEM, AGENCY, YEAR and
optionally TIMEOUT_SECONDS (60) and ASIDE_FILE (where a message it cannot read is
kept; stderr without it). Exit status 0 when done, 1 on a refusal, an error answer, an
error or a timeout. See README.md.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from uuid import UUID, uuid4

import aio_pika
import aio_pika.abc
import httpx

COMMANDS_EXCHANGE = "kerjasama.commands"
CLOUDEVENTS_JSON = "application/cloudevents+json"
AGREEMENT_EVENTS = "kerjasama.agreement."
PROPOSED = "kerjasama.agreement.proposed."
PROPOSED_VERSIONS = ("kerjasama.agreement.proposed.v1", "kerjasama.agreement.proposed.v2")
"""The versions of ``agreement.proposed`` this system reads (both name ``lead_opd``)."""
SIGNED = "kerjasama.agreement.signed.v1"
KPI_UPDATED = "kerjasama.kpi.updated.v1"
"""The one version of ``kpi.updated`` this system reads; any other is set aside."""
RETRY_SECONDS = 1.0


class Unreadable(Exception):
    """A message this system cannot read, or of a version it does not know: set it aside."""


class Transient(Exception):
    """A failure that may pass (the service unreachable or answering what it should not, a
    gap its stream does not hold yet): the message is requeued after a moment."""


class Stop(Exception):
    """Raised to end the run with an exit status, after its line was printed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def say(line: str) -> None:
    """One line of output, at once (another program may be reading it)."""
    print(line, flush=True)


def complain(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


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
    set_aside_file: str | None

    @classmethod
    def from_env(cls) -> Config:
        missing = [name for name in ("AMQP_URL", "AGREEMENTS_URL", "TOKEN", "SYSTEM", "AGENCY",
                                     "YEAR") if not os.environ.get(name)]
        if missing:
            sys.exit(f"set {', '.join(missing)} (see examples/python/README.md)")
        env = os.environ
        return cls(env["AMQP_URL"], env["AGREEMENTS_URL"].rstrip("/"), env["TOKEN"],
                   env["SYSTEM"], env["AGENCY"], int(env["YEAR"]),
                   float(env.get("TIMEOUT_SECONDS") or 60), env.get("ASIDE_FILE") or None)

    @property
    def broker_user(self) -> str:
        """The user of AMQP_URL: a command's ``user_id``, which the broker checks."""
        return unquote(urlsplit(self.amqp_url).username or "guest")

    @property
    def scope(self) -> str:
        return f"opd:{self.agency}"


# --- reading messages: what does not read as the contract says raises ValueError, KeyError or
# TypeError -------------------------------------------------------------------------------------


def text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"not a non-empty string: {value!r}")
    return value


def integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return value


def cloudevent_of(body: bytes) -> dict[str, Any]:
    """The JSON object of a message, with a CloudEvent ``id`` and ``type``."""
    event = json.loads(body)
    if not isinstance(event, dict):
        raise TypeError("not a JSON object")
    text(event.get("id"))
    text(event.get("type"))
    return event


@dataclass(frozen=True)
class Event:
    """What this system uses of an agreement event."""

    id: str
    type: str
    agreement_id: str  # the CloudEvent subject
    sequence: int
    position: int
    data: Any

    @classmethod
    def of(cls, event: dict[str, Any]) -> Event:
        subject = text(event.get("subject"))
        UUID(subject)  # an agreement's id
        sequence = event.get("sequence")
        if not isinstance(sequence, str) or not sequence.isdigit():
            raise ValueError(f"sequence is not digits: {sequence!r}")
        return cls(text(event.get("id")), text(event.get("type")), subject, int(sequence),
                   integer(event.get("position")), event.get("data"))

    def lead_opd(self) -> str:
        """The agency an ``agreement.proposed`` (a version this system reads) names."""
        if not isinstance(self.data, dict):
            raise TypeError("data is not an object")
        return text(self.data.get("lead_opd"))


@dataclass(frozen=True)
class Figure:
    """One revision of a figure as ``kpi.updated`` told it."""

    indicator: str
    year: int
    scope: str
    numerator: int | float
    denominator: int | float | None
    revision: int
    as_of_position: int

    @classmethod
    def of(cls, event: dict[str, Any]) -> Figure:
        data = event.get("data")
        if not isinstance(data, dict):
            raise TypeError("data is not an object")
        denominator = data.get("denominator")
        return cls(text(data.get("indicator")), integer(data.get("year")),
                   text(data.get("scope")), number(data.get("numerator")),
                   None if denominator is None else number(denominator),
                   integer(data.get("revision")), integer(data.get("as_of_position")))

    def __str__(self) -> str:
        return f"{self.numerator}/{'-' if self.denominator is None else self.denominator}"


class SetAside:
    """Where a message this system cannot read goes, with why, before it is acked: its queues
    have no dead-letter queue, so a message rejected would be gone (docs/integration.md §3,
    §7). A real system keeps it in its database, to fix and replay it from the feed."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def keep(self, queue: str, message: aio_pika.abc.AbstractIncomingMessage,
             why: str) -> None:
        record: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(), "queue": queue, "why": why,
            "message_id": message.message_id, "routing_key": message.routing_key,
            "content_type": message.content_type, "headers": message.headers}
        try:
            record["body"] = message.body.decode("utf-8")
        except UnicodeDecodeError:
            record["body_base64"] = base64.b64encode(message.body).decode("ascii")
        line = json.dumps(record, ensure_ascii=False, default=str)
        if self.path is None:
            complain(f"set aside: {line}")
            return
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())
        complain(f"set aside a message of {queue} in {self.path}: {why}")


class Follower:
    """What arrives on the two queues: its agency's agreements' events in order, its agency's
    figures. Each message is handled (printed or ignored) before it is acked.

    It follows its own agreement (its id chosen here, before the proposal is sent) and every
    agreement whose ``agreement.proposed`` names its agency as ``lead_opd``. Per agreement,
    events are printed in ``sequence`` order: a duplicate or one not newer than the last
    printed is dropped, a missing sequence is filled from ``GET /agreements/{id}/events``.
    Figures are deduplicated by ``id`` and a revision not newer than the last one seen is
    dropped.
    """

    def __init__(self, config: Config, http: httpx.AsyncClient, agreement_id: str) -> None:
        self.config = config
        self.http = http
        self.agreement_id = agreement_id
        self.seen: set[str] = set()  # CloudEvent ids handled (a long-running system keeps
        # them in its database, with the effect of the message, for as long as redeliveries
        # can come)
        self.printed: dict[str, int] = {agreement_id: 0}  # the agreements followed (its own
        # and its agency's: bounded by them) and the last sequence printed of each
        self.stopped: set[str] = set()  # streams with a message of an unknown version: the
        # rest of them is set aside too, until this system is upgraded (docs/integration.md §8)
        self.replied = False
        self.proposed_position: int | None = None
        self.signed_position: int | None = None
        self.revisions: dict[tuple[str, int, str], int] = {}
        self.realization: list[Figure] = []
        self.news = asyncio.Condition()

    async def until(self, condition: Callable[[], object]) -> None:
        """Wait until ``condition()`` holds (checked whenever a message was handled)."""
        async with self.news:
            await self.news.wait_for(condition)

    async def _told(self) -> None:
        async with self.news:
            self.news.notify_all()

    async def on_event(self, body: bytes) -> None:
        """One message of ``external.<SYSTEM>.events``."""
        try:
            raw = cloudevent_of(body)
            if not raw["type"].startswith(AGREEMENT_EVENTS):
                return  # a family it does not follow
            event = Event.of(raw)
        except (ValueError, KeyError, TypeError) as error:
            raise Unreadable(f"not an agreement event as the contract says: {error!r}") from None
        if event.id in self.seen:
            return
        stream = event.agreement_id
        if stream in self.stopped:
            raise Unreadable(f"its stream {stream} stopped at a message of a version this "
                             "system does not read")
        if event.type.startswith(PROPOSED) and event.type not in PROPOSED_VERSIONS:
            self.stopped.add(stream)  # do not guess its meaning: set the stream aside
            raise Unreadable(f"{event.type} is a version this system does not read "
                             f"({', '.join(PROPOSED_VERSIONS)}); its stream is stopped")
        if stream not in self.printed:
            if event.type not in PROPOSED_VERSIONS:
                return  # not an agreement of its agency (or not one it saw proposed)
            try:
                lead_opd = event.lead_opd()
            except (KeyError, TypeError) as error:
                raise Unreadable(f"{event.type} without a lead_opd: {error!r}") from None
            if lead_opd != self.config.agency:
                return  # another agency's
            self.printed[stream] = 0
        await self._in_order(event)
        await self._told()

    async def _in_order(self, event: Event) -> None:
        stream = event.agreement_id
        if event.sequence <= self.printed[stream]:
            return  # printed already: a duplicate, or it came after its gap was filled
        if event.sequence > self.printed[stream] + 1:
            await self._fill_gap(stream, event.sequence)
            if event.sequence > self.printed[stream] + 1:  # handled again when requeued
                raise Transient(f"sequence {self.printed[stream] + 1} of {stream} is not "
                                "among its events yet")
        self._show(event)

    async def _fill_gap(self, stream: str, before: int) -> None:
        try:
            answer = await self.http.get(f"/agreements/{stream}/events")
            answer.raise_for_status()
            body = answer.json()
            if not isinstance(body, list):
                raise TypeError("not a list")
            stored = sorted((Event.of(item) for item in body), key=lambda e: e.sequence)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            raise Transient(f"reading the events of {stream}: {error!r}") from error
        for event in stored:
            if event.sequence == self.printed[stream] + 1 and event.sequence < before:
                self._show(event)

    def _show(self, event: Event) -> None:
        say(f"event: {event.type} {event.agreement_id} sequence {event.sequence}")
        self.printed[event.agreement_id] = event.sequence
        self.seen.add(event.id)
        if event.agreement_id != self.agreement_id:
            return
        if event.sequence == 1:
            self.proposed_position = event.position
        if event.type == SIGNED:
            self.signed_position = event.position

    async def on_kpi(self, body: bytes) -> None:
        """One message of ``external.<SYSTEM>.kpi``."""
        try:
            raw = cloudevent_of(body)
            subject = text(raw.get("subject"))
        except (ValueError, KeyError, TypeError) as error:
            raise Unreadable(f"not a CloudEvent as the contract says: {error!r}") from None
        if raw["id"] in self.seen:
            return
        if subject in self.stopped:
            raise Unreadable(f"its figure {subject} stopped at a message of a version this "
                             "system does not read")
        if raw["type"] != KPI_UPDATED:  # another version may mean something else
            self.stopped.add(subject)
            raise Unreadable(f"{raw['type']} is not {KPI_UPDATED}, the version this system "
                             "reads; its figure is stopped")
        try:
            figure = Figure.of(raw)
        except (ValueError, KeyError, TypeError) as error:
            raise Unreadable(f"not a {KPI_UPDATED} as the contract says: {error!r}") from None
        self.seen.add(raw["id"])
        if figure.year != self.config.year or figure.scope != self.config.scope:
            return
        key = (figure.indicator, figure.year, figure.scope)
        if figure.revision <= self.revisions.get(key, 0):
            return  # not newer than what we have: it came late
        self.revisions[key] = figure.revision
        say(f"kpi: {key[0]} {key[1]} {key[2]} {figure} revision {figure.revision}")
        if figure.indicator == "realization":
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
        if not self.replied:
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


async def consume(queue: aio_pika.abc.AbstractQueue, handle: Callable[[bytes], Awaitable[None]],
                  aside: SetAside) -> asyncio.Task[None]:
    """Consume ``queue`` (manual ack) one message at a time; the worker task, which ends only
    when handling a message failed unexpectedly (after one line on stderr; the message is not
    acked, so the broker brings it again)."""
    inbox: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    await queue.consume(inbox.put)

    async def work() -> None:
        try:
            while True:
                message = await inbox.get()
                try:
                    await handle(message.body)
                except Transient as error:  # try again in a moment, never drop it
                    complain(f"retrying a message of {queue.name}: {error}")
                    await asyncio.sleep(RETRY_SECONDS)
                    await message.nack(requeue=True)
                except Unreadable as error:  # kept aside, then acked: not lost, not in the way
                    aside.keep(queue.name, message, str(error))
                    await message.ack()
                else:
                    await message.ack()
        except Exception as error:
            complain(f"error: handling a message of {queue.name}: {error!r}")

    return asyncio.create_task(work())


def cloudevent(config: Config, command_type: str, data: dict[str, Any]) -> bytes:
    return json.dumps({
        "specversion": "1.0", "id": str(uuid4()), "source": f"/external/{config.system}",
        "type": command_type, "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json", "data": data}).encode()


async def propose(config: Config, channel: aio_pika.abc.AbstractChannel,
                  agreement_id: str) -> dict[str, Any]:
    """Send ``agreement.propose`` for the agreement ``agreement_id`` (chosen here, so that its
    events can be told from the first) and wait for the reply on a server-named exclusive
    queue."""
    replies = await channel.declare_queue(exclusive=True)  # the broker names it amq.gen-…
    correlation_id = str(uuid4())
    answered: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def on_reply(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            if message.correlation_id == correlation_id and not answered.done():
                try:
                    answered.set_result(json.loads(message.body))
                except ValueError as error:
                    answered.set_exception(error)

    await replies.consume(on_reply)
    command_id = f"{config.system}-{uuid4()}"
    data = {
        "command_id": command_id, "agreement_id": agreement_id,
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
                            commands: aio_pika.abc.AbstractChannel) -> None:
    agreement_id = follower.agreement_id
    reply = (await propose(config, commands, agreement_id))["data"]
    follower.replied = True
    if not reply["accepted"]:
        problem = reply["problem"]
        say(f"reply: refused {problem['status']} {problem['type']}: {problem['detail']}")
        raise Stop(1)
    outcome = reply["outcome"]
    if str(outcome["id"]) != agreement_id:
        raise ValueError(f"the reply names {outcome['id']}, not the {agreement_id} proposed")
    version = int(outcome["version"])
    say(f"reply: accepted {agreement_id} version {version} stage {outcome['stage']}")

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


async def run(config: Config) -> int:
    headers = {"Authorization": f"Bearer {config.token}"}
    agreement_id = str(uuid4())  # its own agreement's id, sent with the proposal
    async with httpx.AsyncClient(base_url=config.agreements_url, headers=headers,
                                 timeout=10) as http:
        connection = await aio_pika.connect(config.amqp_url)
        async with connection:
            follow = await connection.channel()
            await follow.set_qos(prefetch_count=50)
            commands = await connection.channel()  # an error here leaves the consumers be
            follower = Follower(config, http, agreement_id)
            aside = SetAside(config.set_aside_file)
            prefix = f"external.{config.system}."
            workers = [
                await consume(await follow.get_queue(prefix + "events", ensure=False),
                              follower.on_event, aside),
                await consume(await follow.get_queue(prefix + "kpi", ensure=False),
                              follower.on_kpi, aside)]
            flow = asyncio.create_task(follow_to_signing(config, follower, http, commands))
            tasks = [flow, *workers]
            try:
                async with asyncio.timeout(config.timeout):
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            except TimeoutError:
                say(f"timeout: {follower.waiting_for()}")
                return 1
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            if not flow.done() or flow.cancelled():
                return 1  # a worker failed, and said why on stderr
            try:
                flow.result()
            except Stop as stop:
                return stop.status
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
    except Exception as error:  # the broker or the service unreachable, a queue missing or
        # not ours, an answer not as the contract says, ...: one line
        complain(f"error: {error!r}")
        status = 1
    sys.exit(status)


if __name__ == "__main__":
    main()

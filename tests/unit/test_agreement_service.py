"""The agreements use case on the in-memory event store: idempotency, lost races, the
version a caller pinned, who may act, and the parent a rule needs.

The same tests run against PostgreSQL in
tests/integration/agreements/test_agreement_service_postgres.py (they take the ``store``
fixture); here they take milliseconds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from contracts import commands as c
from contracts.common import Partner, Signatory
from contracts.roles import REGIONAL_SECRETARY, SECRETARIAT
from plumbing.tracing import span, trace_id_of
from services.agreements.adapters.event_store import CommandWrite, EventStore, NewEvent, StoredEvent
from services.agreements.adapters.memory_store import InMemoryEventStore
from services.agreements.application.errors import (
    IdempotencyKeyReused,
    NotFound,
    VersionMismatch,
)
from services.agreements.application.service import AgreementService
from services.agreements.domain import Forbidden, ParentNotSigned, StageConflict

TKKSD = frozenset({SECRETARIAT})
DISKUK = frozenset({"opd:DISKUK"})
SEKDA = frozenset({REGIONAL_SECRETARY})


@pytest.fixture
def store() -> EventStore:
    return InMemoryEventStore()


def propose(command_id: str = "p-1", **changes: Any) -> c.ProposeAgreement:
    fields: dict[str, Any] = {
        "title": "Galeri UMKM Juara di blibli.com", "kind": "KSDPK", "document_type": "MOU",
        "partner": Partner(name="blibli.com", category="THIRD_PARTY", country="ID"),
        "lead_opd": "DISKUK", "objective": "Pemasaran produk UMKM Jawa Barat secara daring",
        "sector": "Ekonomi", "burdens_budget": False, "plan_year": 2021,
        "proposed_on": date(2021, 1, 11), "command_id": command_id}
    fields.update(changes)
    return c.ProposeAgreement(**fields)


def sign(agreement_id: UUID, command_id: str = "s-1",
         expected_version: int | None = None) -> c.SignAgreement:
    return c.SignAgreement(
        agreement_id=agreement_id, command_id=command_id, expected_version=expected_version,
        number="120/12/Pem.Um", signed_on=date(2021, 4, 20),
        signatory=Signatory(name="Setiawan Wangsaatmaja", role="REGIONAL_SECRETARY"),
        effective_from=date(2021, 4, 20), effective_until=date(2024, 4, 19))


def follow_up(agreement_id: UUID, command_id: str, day: int = 1,
              expected_version: int | None = None) -> c.RecordFollowUp:
    return c.RecordFollowUp(agreement_id=agreement_id, command_id=command_id,
                            expected_version=expected_version, on=date(2021, 5, day),
                            summary=f"Rapat koordinasi {day}")


async def ready_to_sign(service: AgreementService, command_id: str = "p-1",
                        **changes: Any) -> UUID:
    proposed = await service.handle(propose(command_id, **changes), actor="ana", roles=DISKUK)
    aid = UUID(proposed.id)
    for step in (c.StartReview(agreement_id=aid, command_id=f"{command_id}-r"),
                 c.DraftAgreement(agreement_id=aid, command_id=f"{command_id}-d", note="Draf"),
                 c.DiscussAgreement(agreement_id=aid, command_id=f"{command_id}-x",
                                    held_on=date(2021, 3, 2), summary="Sepakat",
                                    outcome="AGREED")):
        await service.handle(step, actor="tkksd", roles=TKKSD)
    return aid


async def signed(service: AgreementService, command_id: str = "p-1") -> UUID:
    aid = await ready_to_sign(service, command_id)
    await service.handle(sign(aid, f"{command_id}-s"), actor="tkksd", roles=TKKSD)
    return aid


async def test_a_proposal_starts_a_stream_at_version_one(store: EventStore) -> None:
    answer = await AgreementService(store).handle(propose(), actor="ana", roles=DISKUK)
    assert (answer.version, answer.stage, answer.created, answer.replayed) == (
        1, "PROPOSED", True, False)
    [event] = await store.read_stream(answer.id)
    assert event.type.startswith("kerjasama.agreement.proposed.")
    traceparent = event.metadata.pop("traceparent")
    assert event.metadata == {"actor": "ana", "command_id": "p-1",
                              "command": "agreement.propose"}
    assert trace_id_of(traceparent) is not None  # the command's span (plumbing.tracing)


async def test_a_command_continues_its_callers_trace(store: EventStore) -> None:
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with span("caller", parent=caller):
        answer = await AgreementService(store).handle(propose(), actor="ana", roles=DISKUK)
    [event] = await store.read_stream(answer.id)
    assert trace_id_of(event.metadata["traceparent"]) == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert event.metadata["traceparent"] != caller  # the command's own span, under it


async def test_a_repeated_command_id_answers_the_first_result_and_stores_nothing(
        store: EventStore) -> None:
    service = AgreementService(store)
    first = await service.handle(propose(), actor="ana", roles=DISKUK)
    again = await service.handle(propose(), actor="ana", roles=DISKUK)
    assert (again.id, again.version, again.created, again.replayed) == (
        first.id, 1, True, True)
    stored = await store.read_feed(0, 100)  # the partner, registered with it; the proposal
    assert [e.type for e in stored] == ["kerjasama.partner.registered.v1",
                                        "kerjasama.agreement.proposed.v2"]


async def test_a_command_id_reused_for_another_request_is_refused(store: EventStore) -> None:
    service = AgreementService(store)
    await service.handle(propose(), actor="ana", roles=DISKUK)
    with pytest.raises(IdempotencyKeyReused):
        await service.handle(propose(title="Lain"), actor="ana", roles=DISKUK)


async def test_a_command_id_is_scoped_to_its_caller(store: EventStore) -> None:
    service = AgreementService(store)
    mine = await service.handle(propose(), actor="ana", roles=DISKUK)
    theirs = await service.handle(propose(), actor="budi", roles=DISKUK)
    assert theirs.id != mine.id and not theirs.replayed


async def test_a_repeat_that_the_rules_would_now_refuse_still_answers_the_first_result(
        store: EventStore) -> None:
    service = AgreementService(store)
    aid = await ready_to_sign(service)
    first = await service.handle(sign(aid), actor="tkksd", roles=TKKSD)
    again = await service.handle(sign(aid), actor="tkksd", roles=TKKSD)
    assert again.replayed and (again.version, again.stage) == (first.version, "SIGNED")
    with pytest.raises(StageConflict):  # the same request under a new id is refused
        await service.handle(sign(aid, "s-2"), actor="tkksd", roles=TKKSD)


async def test_a_refused_command_is_not_remembered(store: EventStore) -> None:
    service = AgreementService(store)
    proposed = await service.handle(propose(), actor="ana", roles=DISKUK)
    aid = UUID(proposed.id)
    with pytest.raises(StageConflict):
        await service.handle(sign(aid, "early"), actor="tkksd", roles=TKKSD)
    assert await store.find_command("tkksd\x1fearly") is None


class Racing:
    """An event store that lets another command land just before the next append."""

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner
        self.before_append: Callable[[], Awaitable[object]] | None = None

    async def read_stream(self, stream_id: str) -> list[StoredEvent]:
        return await self.inner.read_stream(stream_id)

    async def append_command(self, stream_id: str, expected_version: int,
                             prev_hash: str | None, events: Sequence[NewEvent],
                             write: CommandWrite) -> list[StoredEvent]:
        race, self.before_append = self.before_append, None
        if race is not None:
            await race()
        return await self.inner.append_command(stream_id, expected_version, prev_hash,
                                               events, write)

    async def find_command(self, command_id: str) -> Any:
        return await self.inner.find_command(command_id)

    async def read_feed(self, after: int, limit: int) -> list[StoredEvent]:
        return await self.inner.read_feed(after, limit)

    async def item_realised(self, item_id: UUID) -> bool:
        return await self.inner.item_realised(item_id)

    async def partner_holding(self, key: str) -> UUID | None:
        return await self.inner.partner_holding(key)

    async def partner_standing_for(self, partner_id: UUID) -> UUID | None:
        return await self.inner.partner_standing_for(partner_id)

    async def partner_named(self, key: str, partner_id: UUID) -> UUID | None:
        return await self.inner.partner_named(key, partner_id)


async def test_a_lost_race_is_decided_again_on_the_fresh_state(store: EventStore) -> None:
    racing = Racing(store)
    service = AgreementService(racing)
    aid = await signed(service)
    racing.before_append = lambda: service.handle(follow_up(aid, "other", 2), actor="tkksd",
                                                  roles=TKKSD)
    mine = await service.handle(follow_up(aid, "mine", 3), actor="tkksd", roles=TKKSD)
    stream = await store.read_stream(str(aid))
    assert mine.version == stream[-1].version == 7
    assert [e.metadata["command_id"] for e in stream[-2:]] == ["other", "mine"]


async def test_a_lost_race_of_a_caller_who_pinned_the_version_is_a_version_mismatch(
        store: EventStore) -> None:
    racing = Racing(store)
    service = AgreementService(racing)
    aid = await signed(service)
    racing.before_append = lambda: service.handle(follow_up(aid, "other", 2), actor="tkksd",
                                                  roles=TKKSD)
    with pytest.raises(VersionMismatch):
        await service.handle(follow_up(aid, "mine", 3, expected_version=5), actor="tkksd",
                             roles=TKKSD)
    assert (await store.read_stream(str(aid)))[-1].metadata["command_id"] == "other"


async def test_a_stale_pinned_version_is_refused_before_deciding(store: EventStore) -> None:
    service = AgreementService(store)
    aid = await signed(service)
    with pytest.raises(VersionMismatch, match="at version 5, not 4"):
        await service.handle(follow_up(aid, "f", expected_version=4), actor="tkksd",
                             roles=TKKSD)


async def test_the_same_command_landing_first_elsewhere_answers_its_result(
        store: EventStore) -> None:
    racing = Racing(store)
    service = AgreementService(racing)
    aid = await signed(service)
    racing.before_append = lambda: service.handle(follow_up(aid, "twice"), actor="tkksd",
                                                  roles=TKKSD)
    answer = await service.handle(follow_up(aid, "twice"), actor="tkksd", roles=TKKSD)
    assert answer.replayed and answer.version == 6
    assert len(await store.read_stream(str(aid))) == 6


async def test_an_unknown_agreement_is_not_found_and_a_stranger_is_forbidden(
        store: EventStore) -> None:
    service = AgreementService(store)
    with pytest.raises(NotFound):
        await service.handle(follow_up(UUID(int=7), "f"), actor="tkksd", roles=TKKSD)
    with pytest.raises(Forbidden):
        await service.handle(propose(), actor="eve", roles=frozenset({"opd:DISHUB"}))
    assert await store.read_feed(0, 10) == []


async def test_a_pks_is_signed_only_after_its_parent(store: EventStore) -> None:
    service = AgreementService(store)
    parent = await ready_to_sign(service, "parent")
    child = await ready_to_sign(service, "child", document_type="PKS", parent_id=parent)
    with pytest.raises(ParentNotSigned):
        await service.handle(sign(child, "child-s"), actor="tkksd", roles=TKKSD)
    await service.handle(sign(parent, "parent-s"), actor="tkksd", roles=TKKSD)
    assert (await service.handle(sign(child, "child-s"), actor="tkksd",
                                 roles=TKKSD)).stage == "SIGNED"


async def test_a_work_program_is_adopted_then_replaced(store: EventStore) -> None:
    service = AgreementService(store)
    adopt = c.AdoptWorkProgram(year=2021, realization_target=80, effectiveness_target=60,
                               command_id="wp-1")
    first = await service.handle(adopt, actor="sekda", roles=SEKDA)
    second = await service.handle(adopt.model_copy(update={"command_id": "wp-2",
                                                           "realization_target": 85}),
                                  actor="sekda", roles=SEKDA)
    assert (first.id, first.version, first.stage, first.created) == (
        "work-program-2021", 1, "ADOPTED", True)
    assert (second.version, second.created) == (2, False)
    with pytest.raises(Forbidden):
        await service.handle(adopt.model_copy(update={"command_id": "wp-3"}), actor="tkksd",
                             roles=TKKSD)


async def test_a_command_the_earlier_release_accepted_still_replays_after_fields_were_added(
        store: EventStore) -> None:
    from datetime import UTC, datetime
    from uuid import uuid4

    from services.agreements.application.service import record_key
    from tests.unit.test_agreement_fingerprint import EARLIER, PROGRAM

    [(_, earlier)] = [(cmd, digest) for cmd, digest in EARLIER if cmd is PROGRAM]
    # the adoption as the release before the planning side stored it: its event without
    # priorities, its command record with that release's fingerprint
    await store.append_command(
        "work-program-2021", 0, None,
        [NewEvent(uuid4(), "kerjasama.work_program.adopted.v1",
                  {"version": 1, "year": 2021, "realization_target": 80.0,
                   "effectiveness_target": 60.0, "stage": "ADOPTED"},
                  {"actor": "sekda", "command_id": "k", "command": "work_program.adopt"},
                  datetime.now(UTC))],
        CommandWrite(record_key("sekda", "k"), earlier, "ADOPTED"))
    again = await AgreementService(store).handle(PROGRAM, actor="sekda",
                                                 roles=frozenset({REGIONAL_SECRETARY}))
    assert (again.id, again.version, again.replayed) == ("work-program-2021", 1, True)
    assert len(await store.read_stream("work-program-2021")) == 1

"""The use case of the agreements service: handle a command, once, on the current state.

load → (404, 412) → decide (409, 422) → append events, outbox rows, command record and
read model in one transaction. A lost race is retried on the fresh state unless the
caller pinned a version (then 412). A repeated command id answers the first result.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from typing import Any, Protocol
from uuid import UUID, uuid4

from contracts.commands import (
    AddMappingItem,
    AdoptWorkProgram,
    AgreementCommand,
    Command,
    MappingCommand,
    MergePartner,
    PartnerCommand,
    ProposeAgreement,
    RegisterPartner,
    ReviseMappingItem,
    RevisePartner,
    SignAgreement,
    WithdrawMappingItem,
)
from contracts.events import AgreementEventData, AgreementSigned, WorkProgramAdopted
from contracts.feed import work_program_stream_id
from contracts.partner_registry import partner_id_of_stream
from contracts.planning import mapping_item_id_of
from plumbing import clock
from plumbing.tracing import current_trace, span
from services.agreements.adapters.event_store import (
    CommandWrite,
    ConcurrencyConflict,
    DuplicateCommand,
    EventStore,
    NewEvent,
    Registration,
)
from services.agreements.adapters.records import CommandRecord
from services.agreements.application.errors import IdempotencyKeyReused, NotFound, VersionMismatch
from services.agreements.application.metrics import APPEND_SECONDS, COMMANDS
from services.agreements.application.partners import (
    ProposalPartner,
    decide_partner,
    partner_json,
    proposal_partner,
)
from services.agreements.application.planning import (
    decide_mapping,
    mapping_json,
    proposal_context,
)
from services.agreements.application.streams import Loaded, fresh, load, state_json
from services.agreements.domain import (
    AGREEMENTS,
    WORK_PROGRAMS,
    AgreementState,
    DecisionContext,
    DomainError,
    Forbidden,
    authorize,
)

MAX_ATTEMPTS = 50


class Answered(Protocol):
    """What the answer to a command reports of its last event."""

    @property
    def version(self) -> int: ...
    @property
    def stage(self) -> str: ...
    def model_dump(self, *, mode: str) -> dict[str, Any]: ...
    @property
    def event_type(self) -> str: ...


@dataclass(frozen=True)
class Accepted:
    """The answer to an accepted command."""

    id: str
    version: int
    stage: str
    created: bool
    replayed: bool = False


def record_key(actor: str, command_id: str) -> str:
    """The key a command is remembered by: its id within its caller's own
    (docs/domain.md#boundaries:
    idempotency keys are scoped to the caller, so one caller's key never answers
    another's request)."""
    return f"{actor}\x1f{command_id}"


ADDED_LATER = frozenset({"priority", "mapping_item_id", "value_cash", "value_in_kind",
                         "revenue", "priorities", "mapping_due_on", "partner_id"})
"""Optional fields added to commands after they shipped: left out of the fingerprint while
they hold their default, so a command accepted by an earlier release keeps its
fingerprint and its retry still answers the first result."""


@functools.cache
def _later_defaults(model: type[Command]) -> tuple[tuple[str, Any], ...]:
    """The fields of ``model`` added after it shipped, with their defaults (once a type)."""
    fields = model.model_fields
    return tuple((name, fields[name].get_default(call_default_factory=True))
                 for name in sorted(ADDED_LATER & fields.keys()))


def request_hash(command: Command) -> str:
    """Fingerprint of what a command asks, without its id: tells a retry from a reuse."""
    unset = {name for name, default in _later_defaults(type(command))
             if getattr(command, name) == default}
    body = command.model_dump_json(exclude={"command_id", "expected_version", *unset})
    return hashlib.sha256(f"{command.routing_key}|{body}".encode()).hexdigest()


class AgreementService:
    """Handles commands against the event store."""

    def __init__(self, store: EventStore, *, require_signed_text: bool = False) -> None:
        self._store = store
        self._require_signed_text = require_signed_text

    @property
    def store(self) -> EventStore:
        """The event store the service appends to."""
        return self._store

    async def check(self, command: AgreementCommand, *, actor: str,
                    roles: Set[str]) -> Accepted | None:
        """Decide ``command`` without storing anything: None when it would be accepted
        now, the first answer when it repeats an accepted command id; raises the refusal
        otherwise. Lets a caller refuse before doing costly work the command needs
        (storing an upload's bytes); :meth:`handle` decides again."""
        fingerprint = request_hash(command)
        remembered = record_key(actor, command.command_id)
        try:
            await self._decision(command, frozenset(roles), fresh_stream=False)
        except Forbidden:
            raise
        except DomainError:
            if replayed := await self._replayed(remembered, command, fingerprint):
                return replayed
            raise
        return None

    async def handle(self, command: Command, *, actor: str,
                     roles: Set[str]) -> Accepted:
        """Handle one command for ``actor`` holding ``roles``; raises a DomainError
        subclass when it is refused (Forbidden when the roles do not allow it)."""
        key = command.routing_key
        with span(f"command {key}", attributes={"kerjasama.command": key,
                                                "kerjasama.command_id": command.command_id,
                                                "enduser.id": actor},
                  refusals=(DomainError,)) as current:
            try:
                result = await self._handle(command, actor, frozenset(roles))
            except DomainError as refusal:
                COMMANDS.labels(key, "refused", str(refusal.status)).inc()
                current.set_attribute("kerjasama.refused", refusal.problem_type)
                raise
            COMMANDS.labels(key, "replayed" if result.replayed else "accepted",
                            "201" if result.created else "200").inc()
            current.set_attribute("kerjasama.stream", result.id)
            current.set_attribute("kerjasama.version", result.version)
            return result

    async def _handle(self, command: Command, actor: str, roles: frozenset[str]) -> Accepted:
        """Optimistic idempotency: the command-id record is only read when needed.

        A new command costs one round trip to load its stream (none for a proposal with
        a fresh id) and one to append. A repeat is recognised either by the unique
        command id at append time, or, when the rules refuse it on the state it
        produced itself, by looking the id up before answering the refusal.
        """
        fingerprint = request_hash(command)
        remembered = record_key(actor, command.command_id)
        fresh_stream = ((isinstance(command, ProposeAgreement) and command.agreement_id is None)
                        or (isinstance(command, AddMappingItem) and command.item_id is None))
        if fresh_stream:  # a new stream: nothing to load
            field = "item_id" if isinstance(command, AddMappingItem) else "agreement_id"
            command = command.model_copy(update={field: uuid4()})
        for _attempt in range(MAX_ATTEMPTS):
            try:
                return await self._attempt(command, actor, roles, fingerprint, fresh_stream,
                                           remembered)
            except Forbidden:
                raise  # never the answer of someone else's command id
            except DomainError:
                if replayed := await self._replayed(remembered, command, fingerprint):
                    return replayed
                raise
            except ConcurrencyConflict:
                pinned = getattr(command, "expected_version", None)
                if pinned is not None:
                    if replayed := await self._replayed(remembered, command, fingerprint):
                        return replayed
                    raise VersionMismatch(
                        f"{_what(command)} changed while the command was handled; it is no "
                        f"longer at version {pinned}") from None
            except DuplicateCommand:
                if replayed := await self._replayed(remembered, command, fingerprint):
                    return replayed
        raise RuntimeError(f"command {command.command_id} lost {MAX_ATTEMPTS} races in a row")

    async def _replayed(self, remembered: str, command: Command,
                        fingerprint: str) -> Accepted | None:
        """The first answer to this caller's command id, if it was accepted before (422 if
        the id came with another request)."""
        previous = await self._store.find_command(remembered)
        return None if previous is None else _replay(previous, command, fingerprint)

    async def _attempt(self, command: Command, actor: str, roles: frozenset[str],
                       fingerprint: str, fresh_stream: bool, remembered: str) -> Accepted:
        ctx = DecisionContext(today=clock.today())
        record = (remembered, fingerprint)
        if isinstance(command, AdoptWorkProgram):
            authorize(command, roles, None)
            stream_id = work_program_stream_id(command.year)
            program = await load(self._store, stream_id, WORK_PROGRAMS, WorkProgramAdopted)
            adopted = WORK_PROGRAMS.decide(command, program.state, ctx)
            return await self._append(command, actor, record, stream_id, program, adopted,
                                      None)
        if isinstance(command, AddMappingItem | ReviseMappingItem | WithdrawMappingItem):
            decision = await decide_mapping(self._store, command, roles, ctx,
                                            fresh_stream=fresh_stream)
            write = CommandWrite(remembered, fingerprint, decision.state.stage.value,
                                 mapping_item=mapping_json(decision.state))
            return await self._append(command, actor, record, decision.stream_id,
                                      decision.loaded, decision.events, write)
        if isinstance(command, RegisterPartner | RevisePartner | MergePartner):
            partner = await decide_partner(self._store, command, roles, ctx)
            write = CommandWrite(remembered, fingerprint, partner.state.stage.value,
                                 partner=partner_json(partner.state))
            return await self._append(command, actor, record, partner.state.stream_id,
                                      partner.loaded, partner.events, write)
        if not isinstance(command, ProposeAgreement | AgreementCommand):
            raise TypeError(f"{type(command).__name__} is not a command of this service")
        agreement_id, loaded, events, state, named = await self._decision(command, roles,
                                                                          fresh_stream)
        signed = next((e for e in events if isinstance(e, AgreementSigned)), None)
        view = CommandWrite(remembered, fingerprint, state.stage, agreement=state_json(state),
                            child_of=signed.parent_id if signed else None,
                            child_signed_on=signed.signed_on if signed else None)
        return await self._append(command, actor, record, str(agreement_id), loaded, events,
                                  view, named)

    async def _decision(self, command: ProposeAgreement | AgreementCommand,
                        roles: frozenset[str], fresh_stream: bool
                        ) -> tuple[UUID, Loaded[AgreementState | None],
                                   Sequence[AgreementEventData], AgreementState,
                                   ProposalPartner | None]:
        """Load, authorize, check the version and decide: the agreement's id, its stream
        as loaded, the events, the state after them and (a proposal) its partner."""
        agreement_id = _agreement_id(command)
        loaded = fresh(AGREEMENTS) if fresh_stream else await load(
            self._store, str(agreement_id), AGREEMENTS, AgreementEventData)
        if isinstance(command, AgreementCommand):
            if loaded.state is None:
                raise NotFound(f"no agreement with id {agreement_id}")
        authorize(command, roles, loaded.state)
        if isinstance(command, AgreementCommand):
            _check_version(command, loaded.version)
        ctx = DecisionContext(today=clock.today(), parent=await self._parent(command, loaded),
                              require_signed_text=self._require_signed_text)
        named = None
        if isinstance(command, ProposeAgreement):
            named = await proposal_partner(self._store, command)
            ctx = await proposal_context(self._store, command, ctx, named.named)
        events = AGREEMENTS.decide(command, loaded.state, ctx)
        state = AGREEMENTS.fold(events, loaded.state)
        assert state is not None  # a decision always leaves an agreement
        return agreement_id, loaded, events, state, named

    async def _parent(self, command: Command,
                      loaded: Loaded[AgreementState | None]) -> AgreementState | None:
        """The parent, for the two commands whose rules need it (propose, sign)."""
        parent_id: UUID | None = None
        if isinstance(command, ProposeAgreement):
            parent_id = command.parent_id
        elif isinstance(command, SignAgreement) and loaded.state is not None:
            parent_id = loaded.state.parent_id
        if parent_id is None:
            return None
        parent = await load(self._store, str(parent_id), AGREEMENTS, AgreementEventData)
        return parent.state

    async def _append(self, command: Command, actor: str, record: tuple[str, str],
                      stream_id: str, loaded: Loaded[Any], events: Sequence[Answered],
                      view: CommandWrite | None,
                      named: ProposalPartner | None = None) -> Accepted:
        remembered, fingerprint = record
        now = clock.now()
        metadata = {"actor": actor, "command_id": command.command_id,
                    "command": command.routing_key, **current_trace()}

        def new_events(answered: Sequence[Answered]) -> list[NewEvent]:
            return [NewEvent(uuid4(), e.event_type, e.model_dump(mode="json"), metadata, now)
                    for e in answered]

        new = new_events(events)
        last = events[-1]
        write = view or CommandWrite(remembered, fingerprint, str(last.stage))
        if named is not None and named.registered is not None:
            write = replace(write, registering=Registration(
                named.registered.stream_id, new_events(named.events),
                partner_json(named.registered)))
        started = time.perf_counter()
        await self._store.append_command(stream_id, loaded.version, loaded.last_hash, new,
                                         write)
        APPEND_SECONDS.observe(time.perf_counter() - started)
        return Accepted(public_id(stream_id), last.version, str(last.stage),
                        loaded.version == 0)


def _what(command: Command) -> str:
    if isinstance(command, MappingCommand):
        return f"mapping item {command.item_id}"
    if isinstance(command, PartnerCommand):
        return f"partner {command.partner_id}"
    return f"agreement {getattr(command, 'agreement_id', '')}"


def _agreement_id(command: Command) -> UUID:
    agreement_id = getattr(command, "agreement_id", None)
    assert isinstance(agreement_id, UUID)
    return agreement_id


def _check_version(command: AgreementCommand, current: int) -> None:
    if command.expected_version is not None and command.expected_version != current:
        raise VersionMismatch(
            f"agreement {command.agreement_id} is at version {current}, "
            f"not {command.expected_version}")


def _replay(previous: CommandRecord, command: Command, fingerprint: str) -> Accepted:
    if previous.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {command.command_id!r} was already used for a different "
            "request")
    return Accepted(public_id(previous.stream_id), previous.version, previous.stage,
                    previous.created, replayed=True)


def public_id(stream_id: str) -> str:
    """The id an answer names for a stream: a mapping item's or a partner's own id (their
    streams are ``mapping-item-<id>``, ``partner-<id>``), else the stream id (an
    agreement's id, ``work-program-<year>``)."""
    own_id = mapping_item_id_of(stream_id) or partner_id_of_stream(stream_id)
    return stream_id if own_id is None else str(own_id)

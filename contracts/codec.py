"""Encode and decode messages: CloudEvents envelope plus the typed data it carries.

Every refusal is a :class:`ContractError` that names the message type and, for invalid
data, the field.

Reading applies the upcasters (:mod:`contracts.upcasting`): the data of an event stored
as an earlier version (``kerjasama.agreement.proposed.v1``) is validated and returned as
the current model (``AgreementProposed``, v2), while :attr:`Decoded.envelope` stays the
message as stored, so that what is encoded again or handed on is what the feed served.
:attr:`Decoded.type` is the stored type too (``...proposed.v1`` for a v1 event): the
metrics, logs, parked streams and dead letters that name it then say which version
actually arrived (and how many old events are still read), and match the feed and the
event store; the version the data was read as is its model's ``event_type``. Errors name
the stored type as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ValidationError

from contracts.common import LENIENT
from contracts.envelope import CONTENT_TYPE, CloudEvent, routing_key_of, schema_uri, split_type
from contracts.events import UnknownEvent
from contracts.registry import COMMAND_TYPES, KNOWN_VERSIONS, MESSAGE_TYPES, in_stream_family
from contracts.upcasting import upcast


class ContractError(ValueError):
    """Raised when a message does not follow the contract."""

    reason = "invalid-message"

    def __init__(self, message: str, *, message_type: str | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message_type = message_type
        self.field = field


class NotJson(ContractError):
    """Raised when a message body is not a JSON object."""

    reason = "not-json"


class InvalidEnvelope(ContractError):
    """Raised when the CloudEvents envelope itself is malformed."""

    reason = "invalid-envelope"


class UnknownMessageType(ContractError):
    """Raised when the type names no message of the contract."""

    reason = "unknown-type"


class UnsupportedVersion(ContractError):
    """Raised when the type is known but not in this version."""

    reason = "unsupported-version"


class InvalidData(ContractError):
    """Raised when the data does not validate against its type's model."""

    reason = "invalid-data"


@dataclass(frozen=True)
class Decoded:
    """A decoded message: the envelope as received and its data, validated and upcast to
    the current model of its type."""

    envelope: CloudEvent
    data: BaseModel

    @property
    def type(self) -> str:
        """The CloudEvent type as received (a superseded version stays that version)."""
        return self.envelope.type


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(root)"


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    return _field_path(tuple(err["loc"])), err["msg"]


def model_for(message_type: str) -> type[BaseModel]:
    """The data model of a type (a superseded version's own model, as its schema is
    published: :func:`validate_data` reads its data as the current version); raises
    UnknownMessageType or UnsupportedVersion."""
    model = MESSAGE_TYPES.get(message_type)
    if model is not None:
        return model
    try:
        name, version = split_type(message_type)
    except ValueError as exc:
        raise UnknownMessageType(str(exc), message_type=message_type, field="type") from None
    if name in KNOWN_VERSIONS:
        known = ", ".join(f"v{v}" for v in sorted(KNOWN_VERSIONS[name]))
        raise UnsupportedVersion(
            f"{message_type}: version v{version} of {name} is not supported (known: {known})",
            message_type=message_type, field="type")
    raise UnknownMessageType(f"{message_type}: unknown message type",
                             message_type=message_type, field="type")


def validate_data(message_type: str, data: Any, *, strict: bool = False) -> BaseModel:
    """Validate a payload against the model of its type, after the upcasters: data of a
    superseded version comes back as the current model (:mod:`contracts.upcasting`).

    Commands are read strictly. Records (events, ``kpi.updated``, replies) are read
    leniently unless ``strict``: unknown fields are ignored, and values that today's
    contract refuses but that were written before it (a date outside the business-date
    domain, a control character in a title) are taken as stored.
    """
    model_for(message_type)  # an unknown type or version is refused by its own name
    read_type, read_data = upcast(message_type, data) if isinstance(data, dict) \
        else (message_type, data)
    model = model_for(read_type)
    lenient = not strict and read_type not in COMMAND_TYPES
    try:
        return model.model_validate(read_data, context={LENIENT: True} if lenient else None)
    except ValidationError as exc:
        field, msg = _first_error(exc)
        raise InvalidData(f"{message_type}: field {field}: {msg}",
                          message_type=message_type, field=field) from None


def decode(body: bytes | str | dict[str, Any], *, strict: bool = False,
           unknown_events: bool = False) -> Decoded:
    """Decode a structured-mode CloudEvent and validate its data (see :func:`validate_data`
    for ``strict``).

    With ``unknown_events``, an event of a type this reader does not know, in a stream
    family it knows (``kerjasama.agreement.*``, ``kerjasama.work_program.*``), decodes to
    :class:`~contracts.events.UnknownEvent` data, so that a consumer can step over it; an
    unknown *version* of a known type is still refused. A superseded version of a known
    type decodes to the current model's data, its envelope as received.
    """
    if not isinstance(body, dict):
        fast = _decode_json(body, strict=strict, unknown_events=unknown_events)
        if fast is not None:
            return fast
    if isinstance(body, dict):
        raw: Any = body
    else:
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError) as exc:  # undecodable, or beyond what a
            raise NotJson(f"body is not JSON: {exc}") from None  # reader parses (digits, depth)
    if not isinstance(raw, dict):
        raise NotJson(f"body is JSON but not an object (got {type(raw).__name__})")
    message_type = raw.get("type") if isinstance(raw.get("type"), str) else None
    unknown = False
    if message_type is not None:
        try:
            model_for(message_type)  # unknown type / version before envelope details
        except UnknownMessageType:
            if not (unknown_events and in_stream_family(message_type)):
                raise
            unknown = True
    try:
        envelope = CloudEvent.model_validate(raw)
    except ValidationError as exc:
        field, msg = _first_error(exc)
        raise InvalidEnvelope(f"{message_type or '(no type)'}: envelope field {field}: {msg}",
                              message_type=message_type, field=field) from None
    if unknown:
        return Decoded(envelope=envelope, data=UnknownEvent())
    data = validate_data(envelope.type, envelope.data, strict=strict)
    return Decoded(envelope=envelope, data=data)


def _decode_json(body: bytes | str, *, strict: bool, unknown_events: bool) -> Decoded | None:
    """:func:`decode` of a well-formed message, the fast way: the envelope parsed and
    validated from the JSON text in one call (no ``json.loads`` and no second pass over a
    dict). None when anything is off, so that the full path names what is wrong, in its
    order."""
    try:
        envelope = CloudEvent.model_validate_json(body)
    except ValidationError:
        return None
    try:
        model_for(envelope.type)
    except UnknownMessageType:
        if unknown_events and in_stream_family(envelope.type):
            return Decoded(envelope=envelope, data=UnknownEvent())
        return None
    return Decoded(envelope=envelope,
                   data=validate_data(envelope.type, envelope.data, strict=strict))


def make_envelope(data: BaseModel, *, source: str, time: datetime, subject: str | None = None,
                  message_type: str | None = None, id: UUID | None = None,
                  sequence: str | None = None, position: int | None = None,
                  correlationid: str | None = None,
                  causationid: str | None = None, traceparent: str | None = None,
                  tracestate: str | None = None) -> CloudEvent:
    """Wrap a data model in a CloudEvent; the type defaults to the model's own."""
    mtype = message_type or getattr(data, "event_type", None)
    if mtype is None:
        raise ValueError(f"{type(data).__name__} has no event_type: pass message_type")
    return CloudEvent(
        id=id or uuid4(), source=source, type=mtype, subject=subject, time=time,
        dataschema=schema_uri(mtype), data=data.model_dump(mode="json"),
        sequence=sequence, position=position, correlationid=correlationid,
        causationid=causationid, traceparent=traceparent, tracestate=tracestate or None,
    )


def encode(envelope: CloudEvent) -> bytes:
    """Serialize a CloudEvent in structured JSON mode (no null attributes)."""
    return envelope.model_dump_json(exclude_none=True).encode()


@dataclass(frozen=True)
class AmqpParts:
    """What an AMQP message needs, independent of the client library."""

    body: bytes
    routing_key: str
    content_type: str
    message_id: str
    correlation_id: str | None
    headers: dict[str, str]


def to_amqp(envelope: CloudEvent, routing_key: str | None = None) -> AmqpParts:
    """Map a CloudEvent onto an AMQP message (structured mode, persistent by the caller)."""
    return AmqpParts(
        body=encode(envelope),
        routing_key=routing_key or routing_key_of(envelope.type),
        content_type=CONTENT_TYPE,
        message_id=str(envelope.id),
        correlation_id=envelope.correlationid,
        headers={},
    )

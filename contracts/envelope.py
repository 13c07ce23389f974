"""The CloudEvents 1.0 envelope, structured JSON mode, with the extensions of
docs/domain.md#messages."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"
SPEC_VERSION = "1.0"
TYPE_PREFIX = "kerjasama."
SEQUENCE_DIGITS = 10

SOURCE_AGREEMENTS = "/kerjasama/agreements"
SOURCE_REPORTING = "/kerjasama/reporting"


class CloudEvent(BaseModel):
    """A CloudEvent in structured JSON mode.

    Unknown extension attributes are kept (CloudEvents requires consumers to tolerate them);
    the ``data`` is validated separately against the model its ``type`` names.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = Field(default="1.0", description="CloudEvents version.")
    id: UUID = Field(description="Unique id of this message; consumers dedupe by it.",
                     examples=["0b8e6f5e-6b1a-4c59-9f3e-2f1b3c4d5e6f"])
    source: str = Field(min_length=1, description="Who produced it.",
                        examples=[SOURCE_AGREEMENTS])
    type: str = Field(pattern=r"^kerjasama\.[a-z_.]+\.v[0-9]+$",
                      description="Message type with its version.",
                      examples=["kerjasama.agreement.signed.v1"])
    subject: str | None = Field(default=None, description="The agreement id, or what the "
                                "message is about.",
                                examples=["3f1c6a52-8f4e-4f55-9d1e-3f4a2b1c0d9e"])
    time: AwareDatetime | None = Field(default=None, description="When it happened.",
                                       examples=["2021-04-20T10:00:00+07:00"])
    datacontenttype: Literal["application/json"] = Field(default="application/json",
                                                         description="Encoding of data.")
    dataschema: str | None = Field(default=None, description="URI of the data's schema.",
                                   examples=["urn:kerjasama:schema:kerjasama.agreement.signed.v1"])
    data: dict[str, Any] = Field(description="The payload, per the type's schema.")
    sequence: str | None = Field(default=None, pattern=r"^[0-9]{10}$",
                                 description="Version within the stream, zero-padded decimal.",
                                 examples=["0000000004"])
    position: int | None = Field(default=None, ge=1, description="Global position in the "
                                 "agreements event feed.", examples=[1234])
    correlationid: str | None = Field(default=None, description="Id of the conversation "
                                      "(the originating command).", examples=["cmd-42"])
    causationid: str | None = Field(default=None, description="Id of the message that "
                                    "caused this one.", examples=["cmd-42"])
    traceparent: str | None = Field(
        default=None,
        description="W3C trace context (`00-<trace id>-<span id>-<flags>`) of the work that "
        "produced this message (CloudEvents distributed tracing extension): the command's "
        "span for an event, the consumer's span for a message a consumer caused. A value "
        "that is not valid trace context is ignored, never refused.",
        examples=["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])
    tracestate: str | None = Field(default=None, description="W3C "
                                   "tracestate that goes with ``traceparent``.",
                                   examples=["congo=t61rcWkgMzE"])


def sequence_of(version: int) -> str:
    """The CloudEvents ``sequence`` of a stream version: a zero-padded decimal string."""
    return str(version).zfill(SEQUENCE_DIGITS)


def schema_uri(message_type: str) -> str:
    """The ``dataschema`` URI of a message type."""
    return f"urn:kerjasama:schema:{message_type}"


def split_type(message_type: str) -> tuple[str, int]:
    """Split ``kerjasama.agreement.signed.v1`` into (``agreement.signed``, 1)."""
    if not message_type.startswith(TYPE_PREFIX):
        raise ValueError(f"type {message_type!r} does not start with {TYPE_PREFIX!r}")
    name, sep, version = message_type[len(TYPE_PREFIX):].rpartition(".v")
    if not sep or not version.isdigit() or not name:
        raise ValueError(f"type {message_type!r} does not end with a version like .v1")
    return name, int(version)


def routing_key_of(message_type: str) -> str:
    """The AMQP routing key of an event or command type: without prefix and version."""
    return split_type(message_type)[0]


"""Answers to commands: the outcome of an accepted command or an RFC 9457 problem."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from pydantic import Field

from contracts.common import RecordModel


class CommandOutcome(RecordModel):
    """What an accepted command produced (HTTP 200/201 body)."""

    id: UUID | str = Field(description="Id of the agreement (or the work-program stream).",
                           examples=["3f1c6a52-8f4e-4f55-9d1e-3f4a2b1c0d9e"])
    version: int = Field(ge=1, description="Version of the stream after the command.",
                         examples=[4])
    stage: str = Field(description="Stage after the command.", examples=["SIGNED"])


class Problem(RecordModel):
    """An RFC 9457 problem: why a command was refused."""

    type: str = Field(default="about:blank", description="URI naming the kind of problem.",
                      examples=["urn:kerjasama:problem:stage-conflict"])
    title: str = Field(description="Short summary of the kind of problem.",
                       examples=["Action not allowed in this stage"])
    status: int = Field(ge=400, le=599, description="HTTP status code it maps to.",
                        examples=[409])
    detail: str = Field(description="What exactly is wrong.",
                        examples=["sign is not allowed in stage PROPOSED"])
    errors: list[dict[str, Any]] | None = Field(default=None, description="Field errors, "
                                                "each with its location and message.",
                                                examples=[None])
    existing_id: str | None = Field(default=None, description="For a partner registered "
                                    "already (partner-exists): the id it is registered "
                                    "under.", examples=[None])


class CommandReply(RecordModel):
    """Data of the reply sent to ``reply_to`` for a command received over AMQP."""

    event_type: ClassVar[str] = "kerjasama.command.replied.v1"
    command_id: str = Field(description="The command answered.", examples=["cmd-42"])
    accepted: bool = Field(description="Whether the command was accepted.", examples=[True])
    outcome: CommandOutcome | None = Field(
        default=None, description="Present when accepted.",
        examples=[{"id": "3f1c6a52-8f4e-4f55-9d1e-3f4a2b1c0d9e", "version": 4, "stage": "SIGNED"}])
    problem: Problem | None = Field(default=None, description="Present when refused.",
                                    examples=[None])

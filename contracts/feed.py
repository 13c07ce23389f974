"""Streams and where the agreements service serves them (docs/domain.md#the-public-feed):
the stream ids, and the paths every consumer and verifier reads and the service routes.

An agreement's stream id is its UUID; a year's work program is ``work-program-<year>``; a
mapping item is ``mapping-item-<uuid>`` (contracts.planning); a partner is ``partner-<uuid>``
(contracts.partner_registry).
"""

from __future__ import annotations

from contracts.partner_registry import PARTNER_PREFIX
from contracts.planning import MAPPING_ITEM_PREFIX

WORK_PROGRAM_PREFIX = "work-program-"

FEED_PATH = "/events"
"""Every event after a position, in position order (``?after=&limit=``; NDJSON with
``Accept: application/x-ndjson``)."""
AGREEMENT_EVENTS_PATH = "/agreements/{agreement_id}/events"
WORK_PROGRAM_EVENTS_PATH = "/work-programs/{year}/events"
MAPPING_ITEM_EVENTS_PATH = "/mapping-items/{item_id}/events"
PARTNER_EVENTS_PATH = "/partners/{partner_id}/events"
CHECKPOINTS_PATH = "/checkpoints"


def work_program_stream_id(year: int) -> str:
    """The stream id of a year's work program."""
    return f"{WORK_PROGRAM_PREFIX}{year}"


def stream_path(stream_id: str) -> str:
    """The path of one stream's events, for its stream id."""
    if stream_id.startswith(WORK_PROGRAM_PREFIX):
        return WORK_PROGRAM_EVENTS_PATH.format(year=stream_id.removeprefix(WORK_PROGRAM_PREFIX))
    if stream_id.startswith(MAPPING_ITEM_PREFIX):
        return MAPPING_ITEM_EVENTS_PATH.format(
            item_id=stream_id.removeprefix(MAPPING_ITEM_PREFIX))
    if stream_id.startswith(PARTNER_PREFIX):
        return PARTNER_EVENTS_PATH.format(partner_id=stream_id.removeprefix(PARTNER_PREFIX))
    return AGREEMENT_EVENTS_PATH.format(agreement_id=stream_id)

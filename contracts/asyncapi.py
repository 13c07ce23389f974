"""Build the AsyncAPI 3.0 document of every channel from the topology and the models.

A channel is an address (a routing key): its id is the type without prefix and version
(``agreement_proposed``), and it lists every version of its message that may travel on it
(``agreement_proposed_v1`` and ``agreement_proposed_v2``: the feed and the relay serve a
stored event as it was written), the current version first.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from contracts.commands import COMMAND_MODELS, command_type
from contracts.envelope import CONTENT_TYPE, routing_key_of, split_type
from contracts.events import EVENT_MODELS, SUPERSEDED_EVENT_MODELS, EventData
from contracts.kpi import KpiUpdated
from contracts.ledger import LedgerCheckpointed
from contracts.replies import CommandReply
from contracts.topology import (
    COMMANDS_EXCHANGE,
    CONSUMER_QUEUES,
    EVENTS_EXCHANGE,
    EXCHANGES,
    KPI_EXCHANGE,
    QUEUES,
    Exchange,
)

ASYNCAPI_VERSION = "3.0.0"


def _message_name(message_type: str) -> str:
    return message_type.removeprefix("kerjasama.").replace(".", "_")


def _channel_name(message_type: str) -> str:
    return routing_key_of(message_type).replace(".", "_")


def _exchange_binding(exchange: Exchange) -> dict[str, Any]:
    return {"amqp": {"is": "routingKey", "exchange": {
        "name": exchange.name, "type": exchange.type, "durable": True, "autoDelete": False,
        "vhost": "/"}, "bindingVersion": "0.3.0"}}


def _message(message_type: str, model: type[BaseModel],
             current: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": message_type,
        "title": model.__name__,
        "summary": (model.__doc__ or "").strip().splitlines()[0],
        "contentType": CONTENT_TYPE,
        "payload": {"$ref": f"schemas/{message_type}.json"},
        "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": message_type,
                              "bindingVersion": "0.3.0"}},
    }
    if current is not None and current != message_type:
        message["description"] = (
            f"Superseded by {current}: no longer written, but events stored in this version "
            "are served as stored (the feed, a relay or a replay). Readers of the contract "
            f"package get them as {current} (contracts/upcasting.py).")
    return message


def _versions(models: tuple[type[EventData], ...]) -> dict[str, list[type[EventData]]]:
    """Event models by routing key."""
    by_key: dict[str, list[type[EventData]]] = {}
    for model in models:
        by_key.setdefault(routing_key_of(model.event_type), []).append(model)
    return by_key


def build() -> dict[str, Any]:
    """The AsyncAPI document as a JSON-ready dict (deterministic)."""
    exchanges = {e.name: e for e in EXCHANGES}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}

    def add(message_type: str, model: type[BaseModel], exchange: str, address: str,
            action: str, description: str,
            earlier: list[tuple[str, type[BaseModel]]] | None = None) -> None:
        channel = _channel_name(message_type)
        names = []
        for mtype, mmodel in [(message_type, model), *(earlier or [])]:
            names.append(_message_name(mtype))
            messages[names[-1]] = _message(mtype, mmodel, current=message_type)
        channels[channel] = {
            "address": address,
            "description": description,
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
            "bindings": _exchange_binding(exchanges[exchange]),
        }
        operations[f"{action}_{channel}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in names],
        }

    superseded = _versions(SUPERSEDED_EVENT_MODELS)
    for event in EVENT_MODELS:
        key = routing_key_of(event.event_type)
        earlier = sorted(superseded.pop(key, []), reverse=True,
                         key=lambda m: split_type(m.event_type)[1])
        add(event.event_type, event, EVENTS_EXCHANGE, key, "send",
            f"{exchanges[EVENTS_EXCHANGE].description} {event.__doc__}",
            [(m.event_type, m) for m in earlier])
    if superseded:
        raise ValueError(f"superseded events without a current version: {sorted(superseded)}")
    for command in COMMAND_MODELS:
        ctype = command_type(command)
        add(ctype, command, COMMANDS_EXCHANGE, command.routing_key, "receive",
            f"{exchanges[COMMANDS_EXCHANGE].description} {command.__doc__}")
    add(LedgerCheckpointed.event_type, LedgerCheckpointed, EVENTS_EXCHANGE,
        routing_key_of(LedgerCheckpointed.event_type), "send",
        f"{exchanges[EVENTS_EXCHANGE].description} {LedgerCheckpointed.__doc__}")
    add(KpiUpdated.event_type, KpiUpdated, KPI_EXCHANGE, "kpi.{indicator}.{year}.{scope}",
        "send", exchanges[KPI_EXCHANGE].description)
    channels[_channel_name(KpiUpdated.event_type)]["parameters"] = {
        "indicator": {"description": "The indicator, e.g. realization."},
        "year": {"description": "The year, e.g. 2021."},
        "scope": {"description": "province, opd:<code>, kind:<KIND>, type:<DOCTYPE>, "
                                 "stage:<STAGE>."},
    }
    reply, channel = _message_name(CommandReply.event_type), _channel_name(CommandReply.event_type)
    messages[reply] = _message(CommandReply.event_type, CommandReply)
    channels[channel] = {"address": None, "description": "Replies to commands, sent to the "
                         "command's reply_to queue with its correlation id.",
                         "messages": {reply: {"$ref": f"#/components/messages/{reply}"}}}
    operations[f"send_{channel}"] = {
        "action": "send", "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{reply}"}]}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "kerjasama",
            "version": "1.0.0",
            "description": "Events, commands and KPI updates of the regional cooperation "
                           "agreements system. Every message is a CloudEvent 1.0 in structured "
                           "JSON mode; payload schemas describe its data.",
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
        "x-topology": {
            "exchanges": [{"name": e.name, "type": e.type, "durable": True} for e in EXCHANGES],
            "queues": [{"name": q.name, "durable": True, "arguments": q.arguments,
                        "bindings": [{"exchange": b.exchange, "routingKey": b.routing_key}
                                     for b in q.bindings],
                        "deadLetterQueue": q.dead_letter_queue} for q in QUEUES],
            "consumers": {q.name.split(".")[0]: q.name for q in CONSUMER_QUEUES},
        },
    }

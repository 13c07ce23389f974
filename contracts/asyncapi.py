"""Build the AsyncAPI 3.0 document of every channel from the topology and the models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from contracts.commands import COMMAND_MODELS, command_type
from contracts.envelope import CONTENT_TYPE, routing_key_of
from contracts.events import EVENT_MODELS
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


def _exchange_binding(exchange: Exchange) -> dict[str, Any]:
    return {"amqp": {"is": "routingKey", "exchange": {
        "name": exchange.name, "type": exchange.type, "durable": True, "autoDelete": False,
        "vhost": "/"}, "bindingVersion": "0.3.0"}}


def _message(message_type: str, model: type[BaseModel]) -> dict[str, Any]:
    return {
        "name": message_type,
        "title": model.__name__,
        "summary": (model.__doc__ or "").strip().splitlines()[0],
        "contentType": CONTENT_TYPE,
        "payload": {"$ref": f"schemas/{message_type}.json"},
        "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": message_type,
                              "bindingVersion": "0.3.0"}},
    }


def build() -> dict[str, Any]:
    """The AsyncAPI document as a JSON-ready dict (deterministic)."""
    exchanges = {e.name: e for e in EXCHANGES}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}

    def add(message_type: str, model: type[BaseModel], exchange: str, address: str,
            action: str, description: str) -> None:
        name = _message_name(message_type)
        messages[name] = _message(message_type, model)
        channels[name] = {
            "address": address,
            "description": description,
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": _exchange_binding(exchanges[exchange]),
        }
        operations[f"{action}_{name}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{name}"}],
        }

    for event in EVENT_MODELS:
        add(event.event_type, event, EVENTS_EXCHANGE, routing_key_of(event.event_type),
            "send", f"{exchanges[EVENTS_EXCHANGE].description} {event.__doc__}")
    for command in COMMAND_MODELS:
        ctype = command_type(command)
        add(ctype, command, COMMANDS_EXCHANGE, command.routing_key, "receive",
            f"{exchanges[COMMANDS_EXCHANGE].description} {command.__doc__}")
    add(LedgerCheckpointed.event_type, LedgerCheckpointed, EVENTS_EXCHANGE,
        routing_key_of(LedgerCheckpointed.event_type), "send",
        f"{exchanges[EVENTS_EXCHANGE].description} {LedgerCheckpointed.__doc__}")
    add(KpiUpdated.event_type, KpiUpdated, KPI_EXCHANGE, "kpi.{indicator}.{year}.{scope}",
        "send", exchanges[KPI_EXCHANGE].description)
    channels[_message_name(KpiUpdated.event_type)]["parameters"] = {
        "indicator": {"description": "The indicator, e.g. realization."},
        "year": {"description": "The year, e.g. 2021."},
        "scope": {"description": "province, opd:<code>, kind:<KIND>, type:<DOCTYPE>, "
                                 "stage:<STAGE>."},
    }
    reply = _message_name(CommandReply.event_type)
    messages[reply] = _message(CommandReply.event_type, CommandReply)
    channels[reply] = {"address": None, "description": "Replies to commands, sent to the "
                       "command's reply_to queue with its correlation id.",
                       "messages": {reply: {"$ref": f"#/components/messages/{reply}"}}}
    operations[f"send_{reply}"] = {"action": "send", "channel": {"$ref": f"#/channels/{reply}"},
                                   "messages": [{"$ref": f"#/channels/{reply}/messages/{reply}"}]}
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

"""Persistent publishing with publisher confirms, on the real broker."""

from __future__ import annotations

import uuid

import aio_pika
import aio_pika.exceptions
import pytest

from plumbing.amqp import Unroutable, connect, publish_persistent
from plumbing.errors import BrokerUnavailable


async def test_message_is_persistent_and_carries_its_properties(amqp_connection) -> None:
    channel = await amqp_connection.channel()
    assert channel.publisher_confirms  # aio-pika's default
    exchange = await channel.declare_exchange(f"test.{uuid.uuid4().hex[:8]}", "topic",
                                              auto_delete=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, "agreement.*")

    await publish_persistent(
        channel, exchange.name, "agreement.signed", b'{"id": "1"}',
        headers={"x-test": "yes"}, message_id="m-1", correlation_id="c-1", reply_to="replies",
    )
    await publish_persistent(exchange, exchange.name, "agreement.signed", b"{}",
                             content_type="application/json")

    first = await queue.get(timeout=5)
    assert first.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert first.content_type == "application/cloudevents+json"
    assert first.body == b'{"id": "1"}'
    assert first.headers == {"x-test": "yes"}
    assert (first.message_id, first.correlation_id, first.reply_to) == ("m-1", "c-1", "replies")
    second = await queue.get(timeout=5)
    assert second.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert second.content_type == "application/json"
    await channel.close()


async def test_a_message_the_broker_refuses_raises(amqp_connection) -> None:
    channel = await amqp_connection.channel()
    queue = await channel.declare_queue(
        exclusive=True, arguments={"x-max-length": 1, "x-overflow": "reject-publish"}
    )
    await publish_persistent(channel, "", queue.name, b"1")
    with pytest.raises(aio_pika.exceptions.DeliveryError):
        await publish_persistent(channel, "", queue.name, b"2")
    await channel.close()


async def test_unroutable_mandatory_message_raises(amqp_connection) -> None:
    channel = await amqp_connection.channel()
    exchange = await channel.declare_exchange(f"test.{uuid.uuid4().hex[:8]}", "direct",
                                              auto_delete=True)
    await publish_persistent(channel, exchange.name, "nobody", b"dropped")
    with pytest.raises(Unroutable):
        await publish_persistent(channel, exchange.name, "nobody", b"x", mandatory=True)
    await channel.close()


async def test_channel_without_confirms_is_refused(amqp_connection) -> None:
    channel = await amqp_connection.channel(publisher_confirms=False)
    with pytest.raises(ValueError, match="publisher confirms"):
        await publish_persistent(channel, "", "anything", b"x")
    await channel.close()


async def test_unreachable_broker_error_names_url_without_password() -> None:
    with pytest.raises(BrokerUnavailable) as caught:
        await connect("amqp://guest:hunter2@127.0.0.1:1/v", attempts=2, delay=0.01)
    assert "amqp://guest:***@127.0.0.1:1/v" in str(caught.value)
    assert "after 2 attempts" in str(caught.value)
    assert "hunter2" not in str(caught.value)

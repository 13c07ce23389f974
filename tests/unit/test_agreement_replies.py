"""Where a reply to an AMQP command may go: only where the broker named the queue."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contracts import topology
from services.agreements.entrypoints.amqp import reply_allowed

ADDRESSES = st.one_of(
    st.text(max_size=40),
    st.sampled_from([q.name for q in topology.QUEUES] + [e.name for e in topology.EXCHANGES]
                    + ["amq.gen-", "amq.rabbitmq.reply-to", "external.x.events"]).flatmap(
        lambda name: st.tuples(st.sampled_from(["", "amq.gen-", "amq.gen", "amq.rabbitmq.",
                                                "amq.rabbitmq.reply-to.", " "]),
                               st.just(name), st.text(max_size=5)).map("".join)))


@given(reply_to=ADDRESSES)
def test_a_reply_goes_only_to_a_broker_named_queue_or_direct_reply_to(reply_to: str) -> None:
    broker_named = reply_to.startswith(("amq.gen-", "amq.rabbitmq.reply-to."))
    assert reply_allowed(reply_to) is (broker_named and reply_to.isprintable())


def test_no_queue_of_the_topology_receives_replies() -> None:
    for queue in topology.QUEUES:
        assert not reply_allowed(queue.name)
    assert not reply_allowed("amq.rabbitmq.reply-to")  # as sent; the broker adds a token
    assert reply_allowed("amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxMjM0NTY3OAAAAAAAAAAB.abc")
    assert reply_allowed("amq.gen-JzTY20BRgKO-HjmUJj0wLg")

"""Shared plumbing of the kerjasama services.

Small, single-purpose modules that more than one service needs:

- :mod:`plumbing.settings`: ``KERJASAMA_*`` settings, errors naming the variable;
- :mod:`plumbing.clock`: the business clock in Asia/Jakarta, settable by tests;
- :mod:`plumbing.db` and :mod:`plumbing.migrations`: databases, pools, SQL migrations;
- :mod:`plumbing.topology` and :mod:`plumbing.rabbitadmin`: the broker topology of
  ``contracts.topology``, its policies, and the management HTTP API;
- :mod:`plumbing.amqp`: connecting, and publishing persistent messages with confirms;
- :mod:`plumbing.inbox` and :mod:`plumbing.retry`: the idempotent consumer, backoff;
- :mod:`plumbing.http` and :mod:`plumbing.problems`: health, readiness, metrics,
  RFC 9457 problem details, serving with uvicorn.
"""

from plumbing.errors import BrokerUnavailable, ConfigError, MigrationError, TopologyError

__all__ = ["BrokerUnavailable", "ConfigError", "MigrationError", "TopologyError"]

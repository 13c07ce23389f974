"""Errors shared by the plumbing modules."""

from __future__ import annotations


class ConfigError(Exception):
    """Raised when configuration (an environment variable or a file it names) is invalid.

    The message names the environment variable(s) and what is wrong, one line each.
    """


class BrokerUnavailable(ConnectionError):
    """Raised when RabbitMQ (AMQP or its management HTTP API) cannot be reached."""


class TopologyError(Exception):
    """Raised when the broker refuses the topology or a policy of ``contracts.topology``."""


class MigrationError(Exception):
    """Raised when a migration cannot be applied, or an applied migration file was changed."""


class OperatorError(Exception):
    """Raised by a service's operator action (migrate, rebuild, verify) when it cannot be
    done; the message says why, in one or a few lines, for the CLI to print."""

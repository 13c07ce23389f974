"""Adapters of the reporting service: PostgreSQL projection, outbox and its relay."""

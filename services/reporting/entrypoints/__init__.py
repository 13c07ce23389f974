"""Entrypoints of the reporting service: HTTP, the queue subscriber, the rebuild CLI."""

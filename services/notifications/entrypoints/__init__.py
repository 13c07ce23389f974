"""Entrypoints of the notifications service: the queue subscriber and the HTTP routes."""

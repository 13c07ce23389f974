"""Use cases of the notifications service: what it does, between its entrypoints and adapters."""

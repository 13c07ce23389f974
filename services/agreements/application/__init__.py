"""Use cases of the agreements service: what it does, between its entrypoints and adapters."""

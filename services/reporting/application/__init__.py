"""Use cases of the reporting service: what it does, between its entrypoints and adapters."""

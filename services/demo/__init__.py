"""The West Java demo: its data file and the loader that sends it as public HTTP commands
(``python -m services.demo`` or ``kerjasama demo``)."""

from __future__ import annotations


async def load_demo() -> int:
    """Load the demo into the running services (idempotent); the exit status."""
    from services.demo.__main__ import main_async

    return await main_async()

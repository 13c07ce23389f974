"""Benchmarks: they print figures next to this machine's raw floors; nothing is asserted.

The services they start are a development run (``KERJASAMA_ENVIRONMENT=development``) and
accept development tokens signed with the local key (``KERJASAMA_AUTH_DEV_KEY_FILE``, else
``.run/auth/dev-key``, created when missing).
"""

from __future__ import annotations

import os
from pathlib import Path

from plumbing.auth import ensure_dev_key

os.environ.setdefault("KERJASAMA_ENVIRONMENT", "development")
if not os.environ.get("KERJASAMA_AUTH_DEV_KEY_FILE"):
    _KEY = Path(__file__).resolve().parents[1] / ".run" / "auth" / "dev-key"
    ensure_dev_key(_KEY)
    os.environ["KERJASAMA_AUTH_DEV_KEY_FILE"] = str(_KEY)

"""Tokens for the tests: one development key per run, set for every service it starts."""

from __future__ import annotations

import os
from pathlib import Path

from plumbing.auth import mint_dev_token, read_dev_key

OPERATOR_ROLES = ["tkksd", "sekda"]
"""Roles that may do everything: the default of the test clients."""


def dev_key() -> bytes:
    """The run's development signing key (``KERJASAMA_AUTH_DEV_KEY_FILE``)."""
    return read_dev_key(Path(os.environ["KERJASAMA_AUTH_DEV_KEY_FILE"]))


def token(*roles: str, subject: str = "tester") -> str:
    """A valid bearer token with ``roles`` (the operator's when none are given)."""
    return mint_dev_token(dev_key(), subject, list(roles) or OPERATOR_ROLES)


def auth_headers(*roles: str, subject: str = "tester") -> dict[str, str]:
    """The Authorization header of :func:`token`."""
    return {"Authorization": f"Bearer {token(*roles, subject=subject)}"}

"""The PostgreSQL roles of kerjasama as a psql script, their passwords as SCRAM verifiers.

One login role per service (``kerjasama_<service>``; ``CREATEDB`` for notifications, reporting
and the portal, which create their own database at first start), the owner of the agreements
event tables (``kerjasama_agreements_owner``, ``CREATEDB``: ``kerjasama migrate`` creates and
migrates that database as it; the service's own role owns nothing there,
docs/domain.md#boundaries) and the superuser's password. The script holds SCRAM-SHA-256
verifiers, which PostgreSQL stores as they are, never the passwords themselves. It runs as an
init script of a new data directory (``/docker-entrypoint-initdb.d``) and may run again on an
existing one (``psql -U postgres -f``): it creates the roles that are missing and sets every
password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping

SUPERUSER = "postgres"
SERVICES = ("agreements", "notifications", "reporting", "portal")
ITERATIONS = 4096
"""PostgreSQL's own default (``scram_iterations``)."""
_VERIFIER = re.compile(r"SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):"
                       r"([A-Za-z0-9+/=]+)")
_PASSWORD_OF = re.compile(r"^ALTER ROLE (\w+) .*PASSWORD '([^']*)';$", re.M)


def role(service: str) -> str:
    """The login role of ``service``."""
    return f"kerjasama_{service}"


AGREEMENTS_OWNER = "kerjasama_agreements_owner"
"""Owns the agreements database and its event tables; only ``kerjasama migrate`` logs in
as it."""
ROLES = (*(role(s) for s in SERVICES), AGREEMENTS_OWNER)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def scram_verifier(password: str, salt: bytes | None = None,
                   iterations: int = ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier of ``password`` as PostgreSQL stores it (RFC 5803 form)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    return (f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:"
            f"{_b64(server_key)}")


def check_scram(password: str, verifier: str) -> bool:
    """Whether ``password`` is the one ``verifier`` was made from."""
    match = _VERIFIER.fullmatch(verifier)
    if match is None:
        return False
    iterations, salt = int(match.group(1)), base64.b64decode(match.group(2))
    return hmac.compare_digest(scram_verifier(password, salt, iterations), verifier)


def verifiers(script: str) -> dict[str, str]:
    """The verifier each role gets in ``script``, by role."""
    return dict(_PASSWORD_OF.findall(script))


def script(passwords: Mapping[str, str], previous: str = "") -> str:
    """The psql script giving each service role and the superuser its password.

    ``passwords`` by role name (every role of ROLES and SUPERUSER). A verifier of
    ``previous`` (an earlier script) that still matches its password is kept, so the
    script of unchanged passwords is unchanged.
    """
    kept = verifiers(previous)

    def verifier(name: str) -> str:
        old = kept.get(name, "")
        return old if check_scram(passwords[name], old) else scram_verifier(passwords[name])

    lines = ["-- kerjasama: one login role per service, notifications and reporting creating",
             "-- their own database at their first start; the owner of the agreements event",
             "-- tables, which kerjasama migrate logs in as; and the superuser's password.",
             "-- Made by `kerjasama credentials init`; the passwords are SCRAM-SHA-256",
             "-- verifiers. Safe to run again.", ""]
    for name in ROLES:
        creates = "NOCREATEDB" if name == role("agreements") else "CREATEDB"
        lines += ["DO $$ BEGIN",
                  f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN",
                  f"    CREATE ROLE {name};",
                  "  END IF;",
                  "END $$;",
                  f"ALTER ROLE {name} LOGIN {creates} PASSWORD '{verifier(name)}';", ""]
    lines.append(f"ALTER ROLE {SUPERUSER} WITH PASSWORD '{verifier(SUPERUSER)}';")
    return "\n".join(lines) + "\n"

"""``kerjasama keys``: the signing keys of a deployment, made where it runs.

``keys init DIR`` makes what a deployment needs once and keeps it on later runs:

- ``DIR/public/jwks.json``: the public keys every service trusts (KERJASAMA_AUTH_JWKS_FILE);
- ``DIR/operator/operator.jwk``: the operator's private key, with which ``kerjasama token``
  and the CLI sign tokens (KERJASAMA_AUTH_SIGNING_KEY_FILE);
- ``DIR/<service>/service.jwk`` for notifications, reporting and the portal: the private key
  each signs its own short-lived tokens to the agreements service with
  (KERJASAMA_AGREEMENTS_SIGNING_KEY_FILE); the JWKS limits it to the role ``reporting``.

``keys trust FILE --jwks JWKS`` adds the public keys of FILE (an identity provider's JWKS,
a JWK, or a PEM key) to JWKS.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from contracts.roles import REPORTING
from plumbing.keys import add_to_jwks, generate_jwk, read_public_keys, write_private
from plumbing.ledger import write_key
from plumbing.service_client import CliError

KEYS: dict[str, tuple[str, list[str] | None]] = {
    "operator": ("operator.jwk", None),
    "notifications": ("service.jwk", [REPORTING]),
    "reporting": ("service.jwk", [REPORTING]),
    "portal": ("service.jwk", [REPORTING]),
}
"""Directory, file name and role limit (None: any role) of each private key."""
JWKS = Path("public") / "jwks.json"
CHECKPOINT_KEY = Path("agreements") / "checkpoint.pem"
"""The agreements service's Ed25519 key that signs the ledger checkpoints (PEM)."""


def add_parsers(sub: Any) -> None:
    """``keys init`` and ``keys trust``."""
    keys = sub.add_parser("keys", help="make a deployment's signing keys (keys init DIR), or "
                          "trust an identity provider's keys (keys trust FILE --jwks JWKS)")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    init = actions.add_parser("init", help="make the JWKS, the operator's key and each "
                              "consumer's key under DIR (kept when they exist)")
    init.add_argument("directory", type=Path, metavar="DIR")
    init.set_defaults(run_direct=run_init)
    trust = actions.add_parser("trust", help="add the public keys of FILE (JWKS, JWK or PEM) "
                               "to a JWKS")
    trust.add_argument("file", type=Path, metavar="FILE")
    trust.add_argument("--jwks", type=Path, required=True, help="the JWKS file to extend")
    trust.set_defaults(run_direct=run_trust)


def init(directory: Path) -> list[str]:
    """Make the keys missing under ``directory``; a line per key saying what was done."""
    lines = []
    for name, (file_name, roles) in KEYS.items():
        path = directory / name / file_name
        if path.exists():
            jwk = json.loads(path.read_text(encoding="utf-8"))
            lines.append(f"kept {path}")
        else:
            jwk = generate_jwk(roles)
            write_private(path, jwk)
            lines.append(f"made {path}" + (f" (roles: {', '.join(roles)})" if roles else ""))
        if add_to_jwks(directory / JWKS, [jwk]):
            lines.append(f"  trusted in {directory / JWKS} as {jwk['kid']}")
    checkpoint = directory / CHECKPOINT_KEY
    if checkpoint.exists():
        lines.append(f"kept {checkpoint}")
    else:
        write_key(checkpoint)
        lines.append(f"made {checkpoint} (signs the ledger checkpoints; agreements only)")
    return lines


async def run_init(args: argparse.Namespace) -> str:
    """``keys init DIR``."""
    try:
        return "\n".join(init(args.directory))
    except (OSError, ValueError, KeyError) as exc:
        raise CliError(f"keys init {args.directory}: {exc}") from None


async def run_trust(args: argparse.Namespace) -> str:
    """``keys trust FILE --jwks JWKS``."""
    try:
        added = add_to_jwks(args.jwks, read_public_keys(args.file))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CliError(f"keys trust {args.file}: {exc}") from None
    return (f"{args.jwks}: added {', '.join(added)}" if added
            else f"{args.jwks}: already trusts every key of {args.file}")

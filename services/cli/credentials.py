"""``kerjasama credentials init DIR --systems FILE``: the passwords of the compose stack,
made where it runs, so that no password of the repository is used by a deployment.

Every password is random, made on the first run and kept afterwards: a second run changes
nothing, and a new outside system in FILE gets its own password and broker user. Under DIR,
each directory being a volume of its own in the compose stack:

- ``operator/``: every password as it is, a file per user (``rabbitmq/<user>``,
  ``postgres/<role>``, ``grafana/admin``) and the key of the webhook secrets
  (``notifications/webhook-secret-keys``). A file put there beforehand is used as it is.
  Only the init mounts it; it is where the operator reads the passwords.
- ``agreements/``, ``notifications/``, ``reporting/``, ``portal/``: the service's own
  credentials, one
  file per setting named like its variable (``KERJASAMA_AMQP_URL``,
  ``KERJASAMA_RABBITMQ_MANAGEMENT_URL``, ``KERJASAMA_<SERVICE>_DATABASE_URL``, and
  ``KERJASAMA_WEBHOOK_SECRET_KEYS``), read through ``KERJASAMA_SECRETS_DIR``.
- ``agreements-migrate/KERJASAMA_AGREEMENTS_OWNER_DATABASE_URL``: the owner of the
  agreements event tables, for the ``agreements-migrate`` step (``kerjasama migrate``)
  only; no service mounts it.
- ``rabbitmq/kerjasama.json``: the broker definitions of FILE's systems, whose users have
  these passwords (``deploy.rabbitmq.definitions``; hashes only).
- ``postgres-init/10-kerjasama-roles.sql``: the roles with these passwords
  (``deploy.postgres.roles``; SCRAM verifiers only).
- ``postgres/password`` and ``grafana/admin-password``: the superuser's and Grafana's
  admin password, for the servers' ``*_FILE`` variables.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from plumbing.service_client import CliError


def add_parsers(sub: Any) -> None:
    """``credentials init``."""
    credentials = sub.add_parser("credentials", help="make the compose stack's passwords "
                                 "(credentials init DIR --systems FILE)")
    actions = credentials.add_subparsers(dest="credentials_command", required=True,
                                         metavar="ACTION")
    init_parser = actions.add_parser("init", help="make every password of the compose stack "
                                     "and what each server and service reads of them, under "
                                     "DIR (kept when they exist)")
    init_parser.add_argument("directory", type=Path, metavar="DIR")
    init_parser.add_argument("--systems", type=Path, required=True,
                             help="the outside systems (as deploy/rabbitmq/systems.json)")
    init_parser.set_defaults(run_direct=run_init)


async def run_init(args: argparse.Namespace) -> str:
    """``credentials init DIR --systems FILE``."""
    # Imported here: only this command needs the generators of deploy/.
    from deploy.rabbitmq.definitions import load_systems
    from services.cli.compose_credentials import init

    try:
        return "\n".join(init(args.directory, load_systems(args.systems)))
    except (OSError, ValueError) as exc:
        raise CliError(f"credentials init {args.directory}: {exc}") from None

"""``kerjasama``: the operator's command line.

Agreements (propose, advance, show, list, tail, work programs), the partner registry,
the KPI table, dead letters and the demo, all through the services' public HTTP
interfaces and the broker.
Every error is one line on standard error and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from plumbing.service_client import (
    OPERATOR_ROLES,
    CliError,
    ServiceClient,
    max_lifetime,
    mint_token,
    service_url,
)
from services.cli import (
    agreements,
    credentials,
    dlq,
    documents,
    keys,
    kpis,
    migrate,
    parked,
    partners,
    planning,
    report,
    reporting,
    verify,
)

EXIT_ERROR = 1
EXIT_USAGE = 2
DEFAULT_TOKEN_HOURS = 12


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="kerjasama", description="Operate the kerjasama services: agreements, KPIs, "
        "dead letters. Service URLs come from KERJASAMA_<SERVICE>_URL (default "
        "http://127.0.0.1:8001/8002/8003), the broker from KERJASAMA_AMQP_URL and "
        "KERJASAMA_RABBITMQ_MANAGEMENT_URL.")
    parser.add_argument("--user", default=os.environ.get("KERJASAMA_USER", "operator"),
                        help="acting user recorded with commands (KERJASAMA_USER)")
    parser.add_argument("--role", action="append", dest="roles", metavar="ROLE",
                        help="role of the development token the CLI signs (repeatable; "
                        "default tkksd and sekda): opd:<CODE>, tkksd, sekda, governor, "
                        "reporting, operator. KERJASAMA_TOKEN, when set, is sent instead")
    parser.add_argument("--output", choices=("table", "json"), default="table",
                        help="output format of queries")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    agreements.add_parsers(sub)
    planning.add_parsers(sub)
    partners.add_parsers(sub)
    documents.add_parsers(sub)
    kpis.add_parsers(sub)
    reporting.add_parsers(sub)
    report.add_parsers(sub)
    dlq.add_parsers(sub)
    parked.add_parsers(sub)
    verify.add_parsers(sub)
    migrate.add_parsers(sub)
    keys.add_parsers(sub)
    credentials.add_parsers(sub)
    token = sub.add_parser("token", help="print a token for --subject with the given --role, "
                           "signed with --key-file (KERJASAMA_AUTH_SIGNING_KEY_FILE), else "
                           "with the local development key")
    token.add_argument("--role", action="append", dest="roles", metavar="ROLE",
                       default=argparse.SUPPRESS, help="a role of the token (repeatable)")
    token.add_argument("--subject", default=None, help="the acting user (default --user)")
    token.add_argument("--hours", type=float, default=None, help="validity (default 12, at "
                       "most KERJASAMA_AUTH_MAX_TOKEN_LIFETIME_SECONDS, 24 hours unless set)")
    token.add_argument("--key-file", type=Path, default=None, help="private signing key (JWK "
                       "or PEM: Ed25519, RSA or EC P-256) whose public key the services trust")
    token.set_defaults(run_direct=print_token)
    demo = sub.add_parser("demo", help="load the West Java demo (idempotent)")
    demo.set_defaults(run_demo=True)
    return parser


async def run_demo() -> None:
    """Load the demo with its own loader (``python -m services.demo``), which prints."""
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.demo")
    if status := await process.wait():
        raise CliError(f"the demo loader failed (exit status {status})")


async def run(args: argparse.Namespace) -> str:
    """Dispatch one parsed command; its output."""
    if getattr(args, "run_demo", False):
        await run_demo()
        return ""
    if hasattr(args, "run_direct"):
        result: str = await args.run_direct(args)
        return result
    roles = tuple(args.roles or OPERATOR_ROLES)
    async with ServiceClient(args.service, service_url(args.service), args.user,
                             roles) as client:
        output: str = await args.run(args, client)
        return output


async def print_token(args: argparse.Namespace) -> str:
    """A token, for curl or another tool."""
    seconds = (min(DEFAULT_TOKEN_HOURS * 3600, max_lifetime()) if args.hours is None
               else round(args.hours * 3600))
    return mint_token(args.subject or args.user, args.roles or OPERATOR_ROLES,
                      ttl_seconds=seconds, key_file=args.key_file)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kerjasama`` script."""
    args = build_parser().parse_args(argv)
    try:
        output = asyncio.run(run(args))
    except CliError as exc:
        print(f"kerjasama: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (OSError, ConnectionError) as exc:
        print(f"kerjasama: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    if output:
        print(output)
    return 0

"""CLI commands on the archive: attach a file, list, fetch (checked against its SHA-256),
take down, and who downloaded a document."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

from plumbing.service_client import CliError, ServiceClient
from plumbing.tables import table

KINDS = ("DRAFT", "SIGNED", "MINUTES", "STUDY_PRE", "STUDY_POST", "EVALUATION", "OTHER")
COLUMNS = ("document_id", "kind", "size", "published", "current", "filename")


async def attach(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """POST /agreements/{id}/documents with the file."""
    path = Path(args.file)
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    fields = {"kind": args.kind, "public": "true" if args.public else "false"}
    if args.supersedes:
        fields["supersedes"] = args.supersedes
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
    response = await agreements.request(
        "POST", f"/agreements/{args.id}/documents", headers=headers, data=fields,
        files={"file": (path.name, content, "application/octet-stream")})
    body = response.json()
    return (f"{body['document_id']}  {body['kind']}  {body['media_type']}  {body['size']} "
            f"bytes  sha256 {body['sha256']}")


async def listing(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """GET /agreements/{id}/documents."""
    documents: list[dict[str, Any]] = await agreements.get_json(
        f"/agreements/{args.id}/documents")
    if args.output == "json":
        return json.dumps(documents, indent=2, ensure_ascii=False)
    return table(COLUMNS, [[d[c] for c in COLUMNS] for d in documents])


async def fetch(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """GET /documents/{id} into a file, checked against the ETag's SHA-256."""
    response = await agreements.request("GET", f"/documents/{args.document_id}")
    expected = response.headers.get("etag", "").strip('"')
    digest = hashlib.sha256(response.content).hexdigest()
    if digest != expected:
        raise CliError(f"the bytes received hash to {digest}, not {expected}: not written")
    target = Path(args.output_file)
    try:
        await asyncio.to_thread(target.write_bytes, response.content)
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror}") from None
    return f"{target}  {len(response.content)} bytes  sha256 {digest} (verified)"


async def unpublish(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """POST /documents/{id}/unpublish."""
    body = {"reason": args.reason} if args.reason else None
    response = await agreements.request("POST", f"/documents/{args.document_id}/unpublish",
                                        json=body)
    answer = response.json()
    return f"{args.document_id} taken down: agreement {answer['id']} version {answer['version']}"


async def downloads(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """GET /documents/{id}/downloads."""
    log: list[dict[str, Any]] = await agreements.get_json(
        f"/documents/{args.document_id}/downloads", limit=args.limit)
    return table(("at", "actor", "outcome"), [[d["at"], d["actor"], d["outcome"]] for d in log])


def add_parsers(sub: Any) -> None:
    """Register ``kerjasama document ...`` on the CLI's subparsers."""
    document = sub.add_parser("document", help="the archive: attach, list, get, unpublish, "
                              "downloads")
    verbs = document.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = verbs.add_parser("attach", help="attach a file to an agreement")
    p.add_argument("id", help="agreement id")
    p.add_argument("file", help="PDF, ODF/OOXML document, PNG or JPEG")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--public", action="store_true", help="show it on the public register")
    p.add_argument("--supersedes", metavar="DOCUMENT_ID", help="the document it replaces")
    p.add_argument("--idempotency-key", help="repeat-safe key")
    p.set_defaults(run=attach, service="agreements")
    p = verbs.add_parser("list", help="an agreement's documents")
    p.add_argument("id", help="agreement id")
    p.set_defaults(run=listing, service="agreements")
    p = verbs.add_parser("get", help="download a document, checked against its SHA-256")
    p.add_argument("document_id")
    p.add_argument("-o", "--output-file", required=True, help="where to write it")
    p.set_defaults(run=fetch, service="agreements")
    p = verbs.add_parser("unpublish", help="take a public document off the register")
    p.add_argument("document_id")
    p.add_argument("--reason")
    p.set_defaults(run=unpublish, service="agreements")
    p = verbs.add_parser("downloads", help="who downloaded a document, when")
    p.add_argument("document_id")
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(run=downloads, service="agreements")

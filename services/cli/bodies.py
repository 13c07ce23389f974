"""Command bodies from the command line: ``key=value`` pairs or a JSON file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from plumbing.service_client import CliError


def parse_value(text: str) -> Any:
    """JSON when it parses as JSON (numbers, true/false, lists), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


TEXT_KEYS = frozenset({"number", "title", "summary", "reason", "note", "objective", "sector",
                       "name", "affair", "description", "rpjmd_target",
                       "prospective_partners"})
"""Keys whose values are text even when they read as JSON (``affair=2021`` is a text)."""


def from_pairs(pairs: list[str], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``a=1 b.c=x`` → ``{"a": 1, "b": {"c": "x"}}``; ``key+=v`` appends to a list (the
    one in ``base``, when given, which the pairs change)."""
    body: dict[str, Any] = base if base is not None else {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CliError(f"expected key=value, got {pair!r}")
        append = key.endswith("+")
        path = key.rstrip("+").split(".")
        target = body
        for part in path[:-1]:
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                raise CliError(f"{key}: {part} is already a value, not an object")
            target = child
        value = raw if path[-1] in TEXT_KEYS else parse_value(raw)
        if append:
            existing = target.setdefault(path[-1], [])
            if not isinstance(existing, list):
                raise CliError(f"{key}: {path[-1]} is not a list")
            existing.append(value)
        else:
            target[path[-1]] = value
    return body


def from_file(path: str) -> dict[str, Any]:
    """A JSON object from a file, or from standard input for ``-``."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        body = json.loads(text)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise CliError(f"{path} is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise CliError(f"{path}: expected a JSON object")
    return body


def body_of(pairs: list[str], json_file: str | None,
            base: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The body given by ``--json`` and/or pairs (pairs override), over ``base`` when
    given; None when there is none of them."""
    if json_file is None and not pairs and base is None:
        return None
    body = json.loads(json.dumps(base)) if base is not None else {}  # a deep copy
    body.update(from_file(json_file) if json_file is not None else {})
    return from_pairs(pairs, body)


def command_headers(args: argparse.Namespace) -> dict[str, str]:
    """The ``Idempotency-Key`` and ``If-Match`` headers a command's options ask for."""
    headers = {}
    if getattr(args, "idempotency_key", None):
        headers["Idempotency-Key"] = args.idempotency_key
    if getattr(args, "if_match", None) is not None:
        headers["If-Match"] = str(args.if_match)
    return headers


def answer_line(response: Any) -> str:
    """An accepted command's answer as one line: id, version, stage (and a replay)."""
    body = response.json()
    replay = " (replayed: already done)" if "Idempotent-Replayed" in response.headers else ""
    return f"{body['id']}  version {body['version']}  {body['stage']}{replay}"

"""Regenerate the committed JSON Schemas and AsyncAPI document.

Usage: ``python -m contracts.generate`` (writes) or ``python -m contracts.generate --check``
(exits 1 and names the stale files when the committed ones differ).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contracts import asyncapi
from contracts.envelope import CloudEvent, schema_uri
from contracts.registry import MESSAGE_TYPES

HERE = Path(__file__).parent
SCHEMAS = HERE / "schemas"
ASYNCAPI = HERE / "asyncapi.json"


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_files() -> dict[Path, str]:
    """Every generated file and its expected content."""
    files: dict[Path, str] = {}
    for message_type, model in sorted(MESSAGE_TYPES.items()):
        schema = model.model_json_schema(mode="validation")
        schema["$id"] = schema_uri(message_type)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        files[SCHEMAS / f"{message_type}.json"] = _dump(schema)
    envelope = CloudEvent.model_json_schema(mode="validation")
    envelope["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    files[SCHEMAS / "cloudevent.json"] = _dump(envelope)
    files[ASYNCAPI] = _dump(asyncapi.build())
    return files


def stale_files() -> list[Path]:
    """Generated files whose committed content differs, plus leftovers."""
    files = expected_files()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text() != text]
    stale += [p for p in SCHEMAS.glob("*.json") if p not in files]
    return sorted(stale)


def write() -> None:
    """Write every generated file, removing schemas of types that no longer exist."""
    files = expected_files()
    SCHEMAS.mkdir(exist_ok=True)
    for leftover in SCHEMAS.glob("*.json"):
        if leftover not in files:
            leftover.unlink()
    for path, text in files.items():
        path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(HERE.parent)}", file=sys.stderr)
        if stale:
            print("run: python -m contracts.generate", file=sys.stderr)
        return 1 if stale else 0
    write()
    print(f"wrote {len(expected_files())} files under {HERE.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

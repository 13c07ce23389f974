"""The webhook verification code of docs/integration.md, run as printed.

The guide's Python and Node.js blocks are taken from the Markdown and run against
signatures made by the notifications service's own ``sign``, so that the code an outside
system copies cannot drift from what the service sends.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from services.notifications.adapters.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SECRET = "rahasia-webhook-bekasi-2021"
BODY = json.dumps({"type": "kerjasama.notification.v1", "rule": "agreement_signed",
                   "text": "Naskah kerja sama telah ditandatangani — mohon rencana tindak "
                   "lanjut"}, ensure_ascii=False).encode()


def code_block(language: str, defines: str) -> str:
    """The one fenced block of the guide in ``language`` that contains ``defines``."""
    blocks = [code for lang, code in FENCE.findall(GUIDE.read_text(encoding="utf-8"))
              if lang == language and defines in code]
    assert len(blocks) == 1, f"docs/integration.md has {len(blocks)} {language} blocks " \
                             f"with {defines!r}, not 1"
    return blocks[0]


def request(secret: str = SECRET, body: bytes = BODY, delivery: str = "4711",
            age: int = 0) -> dict[str, Any]:
    """A webhook request as the service signs it: headers and body."""
    timestamp = str(int(time.time()) - age)
    return {"headers": {TIMESTAMP_HEADER: timestamp, DELIVERY_HEADER: delivery,
                        SIGNATURE_HEADER: sign(secret, timestamp, delivery, body)},
            "body": body}


def tampered(changes: dict[str, str] | None = None, body: bytes | None = None,
             **signed: Any) -> dict[str, Any]:
    """A signed request, then some headers or the body changed after signing."""
    sent = request(**signed)
    sent["headers"].update(changes or {})
    if body is not None:
        sent["body"] = body
    return sent


def cases() -> list[tuple[str, str, dict[str, Any], bool]]:
    """(what, the receiver's secret, the request, should it be trusted)."""
    genuine = request()
    both_schemes = request()
    both_schemes["headers"][SIGNATURE_HEADER] = \
        "v2=" + "0" * 64 + ", " + both_schemes["headers"][SIGNATURE_HEADER]
    unicode = "kunci-rahasia-é-ñ-漢字"
    return [(what, secret or SECRET, sent, trusted) for what, secret, sent, trusted in [
        ("as sent", None, genuine, True),
        ("a non-ASCII secret", unicode, request(secret=unicode), True),
        ("another scheme beside v1", None, both_schemes, True),
        ("the body changed", None,
         tampered(body=BODY.replace(b"ditandatangani", b"dibatalkan")), False),
        ("the body re-serialised", None,
         tampered(body=json.dumps(json.loads(BODY)).encode()), False),
        ("another delivery id", None, tampered({DELIVERY_HEADER: "4712"}), False),
        ("signed with another secret", None, request(secret="bukan-rahasia-yang-benar"),
         False),
        ("ten minutes old", None, request(age=600), False),
        ("a timestamp that is no number", None, tampered({TIMESTAMP_HEADER: "kemarin"}),
         False),
        ("the old sha256 scheme", None,
         tampered({SIGNATURE_HEADER: "sha256=" + "0" * 64}), False),
        ("no signature", None, tampered({SIGNATURE_HEADER: ""}), False),
    ]]


def test_the_guides_python_verification_trusts_only_what_the_service_signed() -> None:
    namespace: dict[str, Any] = {}
    exec(code_block("python", "def verified("), namespace)  # the guide's code, as printed
    verified = namespace["verified"]
    for what, secret, sent, trusted in cases():
        assert verified(secret, sent["headers"], sent["body"]) is trusted, what


def test_the_guides_node_verification_trusts_only_what_the_service_signed() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node (20 or later) is missing: apt-get install nodejs")
    runs = [{"what": what, "trusted": trusted, "secret": secret,
             "headers": {name.lower(): value for name, value in sent["headers"].items()},
             "body": base64.b64encode(sent["body"]).decode()}
            for what, secret, sent, trusted in cases()]
    harness = code_block("js", "function verified(") + """
const runs = JSON.parse(process.argv[1]);
console.log(JSON.stringify(runs.map((r) =>
  verified(r.secret, r.headers, Buffer.from(r.body, "base64")))));
"""
    done = subprocess.run([node, "--input-type=module", "-e", harness, json.dumps(runs)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    assert {r["what"]: a for r, a in zip(runs, answers, strict=True)} == \
        {r["what"]: r["trusted"] for r in runs}

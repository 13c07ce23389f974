"""``python -m services.mailcatcher``: a local SMTP server that keeps every message.

For running the system on one machine (``./scripts/run`` starts it when the
notifications service points at a local SMTP port nobody listens on): each accepted
message is written to ``<maildir>/<n>.eml`` and announced on one line (recipients and
subject). Nothing is relayed anywhere.
"""

from __future__ import annotations

import argparse
import email
import email.header
import itertools
import signal
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Catcher:
    """Stores and announces every message it receives."""

    def __init__(self, maildir: Path, quiet: bool = False) -> None:
        self.maildir = maildir
        self.quiet = quiet
        existing = [int(p.stem) for p in maildir.glob("*.eml") if p.stem.isdigit()]
        self._numbers = itertools.count(max(existing, default=0) + 1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        with self._lock:
            number = next(self._numbers)
        target = self.maildir / f"{number:05d}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(content)
        partial.rename(target)
        if not self.quiet:
            subject = str(email.header.make_header(email.header.decode_header(
                email.message_from_bytes(content).get("Subject", ""))))
            print(f"mail: to {', '.join(envelope.rcpt_tos)}: {subject}", flush=True)
        return "250 2.0.0 Message accepted"


def main() -> None:
    """Serve until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, default=Path(".run/mail"))
    parser.add_argument("--quiet", action="store_true", help="do not announce messages")
    args = parser.parse_args()
    args.maildir.mkdir(parents=True, exist_ok=True)
    controller = Controller(Catcher(args.maildir, args.quiet), hostname=args.host,
                            port=args.port)
    controller.start()
    print(f"mail catcher on {args.host}:{args.port}, messages in {args.maildir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()

"""A real SMTP server process for the tests (aiosmtpd), storing what it accepts.

``python smtp_server.py --port P --maildir DIR [--refuse N | --refuse-always]``: each
accepted message is written to ``DIR/<n>.eml``; the first N messages (or all) are
refused with a temporary error (451). Prints ``ready`` once it listens.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Handler:
    """Refuses the first ``refuse`` messages (all if negative), then stores them."""

    def __init__(self, maildir: Path, refuse: int) -> None:
        self.maildir, self.refuse, self.received = maildir, refuse, 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received += 1
            attempt = self.received
        if self.refuse < 0 or attempt <= self.refuse:
            return "451 4.3.0 Mail server temporarily unavailable, try again later"
        target = self.maildir / f"{attempt:05d}.eml"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(target)
        return "250 2.0.0 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", type=Path, required=True)
    parser.add_argument("--refuse", type=int, default=0)
    parser.add_argument("--refuse-always", action="store_true")
    args = parser.parse_args()
    handler = Handler(args.maildir, -1 if args.refuse_always else args.refuse)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()

"""``python -m services.mailcatcher``: a local SMTP server that keeps every message.

For running the system on one machine (``./scripts/run`` starts it when the
notifications service points at a local SMTP port nobody listens on): each accepted
message is written to ``<maildir>/<n>.eml`` and announced on one line (recipients and
subject) unless ``--quiet`` (how ``./scripts/run`` starts it without ``--verbose``).
Nothing is relayed anywhere.
"""

from __future__ import annotations

import argparse
import email.header
import email.message
import itertools
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message


class Catcher(Message):
    """Stores and announces every message it receives.

    aiosmtpd's :class:`~aiosmtpd.handlers.Message` parses each message and adds the
    envelope as ``X-Peer``, ``X-MailFrom`` and ``X-RcptTo`` headers; it is stored as it
    came, with those headers and CRLF line endings.
    """

    def __init__(self, maildir: Path, quiet: bool = False) -> None:
        super().__init__()
        self.maildir = maildir
        self.quiet = quiet
        existing = [int(p.stem) for p in maildir.glob("*.eml") if p.stem.isdigit()]
        self._numbers = itertools.count(max(existing, default=0) + 1)

    def handle_message(self, message: email.message.Message) -> None:
        target = self.maildir / f"{next(self._numbers):05d}.eml"
        partial = target.with_suffix(".part")
        partial.write_bytes(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        partial.rename(target)
        if not self.quiet:
            subject = email.header.make_header(email.header.decode_header(
                message.get("Subject", "")))
            print(f"mail: to {message['X-RcptTo']}: {subject}", flush=True)


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

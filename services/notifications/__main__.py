"""``python -m services.notifications``: run the notifications service."""

from __future__ import annotations

import logging
import sys

from plumbing.errors import ConfigError
from plumbing.http import run, serve
from plumbing.settings import load_settings
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings


def main() -> int:
    """Run until SIGINT/SIGTERM; a bad configuration is one clear line and exit 2."""
    try:
        settings = load_settings(NotificationsSettings)
        app = create_app(settings)
    except ConfigError as exc:
        print(f"notifications: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s notifications %(levelname)s %(name)s: %(message)s")
    run(serve(app, settings.http_host, settings.http_port,
                      log_level=settings.log_level))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m services.agreements``: run the agreements service."""

from __future__ import annotations

import logging
import sys

from plumbing.errors import ConfigError
from plumbing.http import run, serve
from plumbing.settings import load_settings
from services.agreements.app import create_app
from services.agreements.settings import AgreementsSettings


def main() -> int:
    """Run until SIGINT/SIGTERM; a bad configuration is one clear line and exit 2."""
    try:
        settings = load_settings(AgreementsSettings)
        app = create_app(settings)
    except ConfigError as exc:
        print(f"agreements: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s agreements %(levelname)s %(name)s: %(message)s")
    run(serve(app, settings.http_host, settings.http_port,
                      log_level=settings.log_level))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

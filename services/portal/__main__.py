"""``python -m services.portal``: run the portal; ``python -m services.portal rebuild``:
rebuild its data from the agreements feed and reporting's figures."""

from plumbing.http import service_main
from services.portal.app import create_app
from services.portal.entrypoints.cli import ACTIONS
from services.portal.settings import PortalSettings

if __name__ == "__main__":
    raise SystemExit(service_main("portal", PortalSettings, create_app, ACTIONS))

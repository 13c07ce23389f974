"""``python -m services.agreements``: run the agreements service;
``python -m services.agreements migrate|verify-database``: an operator action."""

from plumbing.http import service_main
from services.agreements.app import create_app
from services.agreements.entrypoints.cli import ACTIONS
from services.agreements.settings import AgreementsSettings

if __name__ == "__main__":
    raise SystemExit(service_main("agreements", AgreementsSettings, create_app, ACTIONS))

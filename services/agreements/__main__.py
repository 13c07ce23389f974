"""``python -m services.agreements``: run the agreements service."""

from plumbing.http import service_main
from services.agreements.app import create_app
from services.agreements.settings import AgreementsSettings

if __name__ == "__main__":
    raise SystemExit(service_main("agreements", AgreementsSettings, create_app))

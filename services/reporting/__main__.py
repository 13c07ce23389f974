"""``python -m services.reporting``: run the reporting service;
``python -m services.reporting rebuild``: rebuild its projection beside it."""

from plumbing.http import service_main
from services.reporting.app import create_app
from services.reporting.entrypoints.cli import ACTIONS
from services.reporting.settings import ReportingSettings

if __name__ == "__main__":
    raise SystemExit(service_main("reporting", ReportingSettings, create_app, ACTIONS))

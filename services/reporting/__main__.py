"""``python -m services.reporting``: run the reporting service."""

from plumbing.http import service_main
from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings

if __name__ == "__main__":
    raise SystemExit(service_main("reporting", ReportingSettings, create_app))

"""``python -m services.notifications``: run the notifications service."""

from plumbing.http import service_main
from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings

if __name__ == "__main__":
    raise SystemExit(service_main("notifications", NotificationsSettings, create_app))

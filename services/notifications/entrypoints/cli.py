"""Operator actions of the notifications service, its public entry for local runs and the
``kerjasama`` CLI."""

from __future__ import annotations

from services.notifications.adapters.secret_box import ensure_key_file
from services.notifications.settings import NotificationsSettings

SETTINGS = NotificationsSettings
"""The service's settings (their variables name what a deployment must give it)."""

__all__ = ["SETTINGS", "ensure_key_file"]

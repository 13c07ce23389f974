"""The kerjasama services: agreements, notifications and reporting, and their supervisor."""

"""PostgreSQL of a kerjasama deployment: its roles (``deploy.postgres.roles``)."""

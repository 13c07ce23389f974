"""The portal: the public register of signed agreements and the dashboard of the figures
(DESIGN §10). Read-only, no login; its own consumer and its own database."""

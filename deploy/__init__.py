"""Deployment files of kerjasama; the Python here generates the RabbitMQ definitions."""

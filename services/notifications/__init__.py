"""The notifications service: rules on agreement events and on time, email and webhooks."""

"""RabbitMQ: definitions (vhost, users, permissions, topology, policies) and configuration."""

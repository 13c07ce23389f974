"""Small helpers for connection URLs: hide passwords, find the AMQP virtual host."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit


def redact(url: str) -> str:
    """The URL with its password replaced by ``***``, fit for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username or ''}:***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def vhost_of(amqp_url: str) -> str:
    """The RabbitMQ virtual host named by an AMQP URL.

    As in the AMQP URI specification, the vhost is the percent-decoded path after the
    first ``/``; an empty path means the default vhost ``/`` (so ``amqp://host/`` and
    ``amqp://host/%2F`` both name ``/``).
    """
    path = urlsplit(amqp_url).path
    vhost = unquote(path[1:]) if path.startswith("/") else unquote(path)
    return vhost or "/"


def with_vhost(amqp_url: str, vhost: str) -> str:
    """The AMQP URL pointing at another virtual host (percent-encoded, ``/`` as ``%2F``)."""
    parts = urlsplit(amqp_url)
    path = "/" + quote(vhost, safe="")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def without_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """Split ``scheme://user:password@host/...`` into the bare URL and the credentials."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    netloc = parts.netloc.rsplit("@", 1)[1]
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (unquote(parts.username), unquote(parts.password or ""))

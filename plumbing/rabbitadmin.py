"""A small client of the RabbitMQ management HTTP API, for set-up, deploy checks and tests.

Credentials come from the URL (``http://user:password@host:15672``); error messages
never show the password. Virtual host and object names are percent-encoded, so the
default vhost ``/`` works.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from plumbing.errors import BrokerUnavailable
from plumbing.urls import without_userinfo


class ManagementApiError(Exception):
    """Raised when the management API answers a request with an error status."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"RabbitMQ management API: {method} {path} answered {status}: {body}")
        self.status = status


def _seg(name: str) -> str:
    return quote(name, safe="")


class RabbitAdmin:
    """Client of ``/api`` of the RabbitMQ management plugin; use as an async context manager."""

    def __init__(self, management_url: str, *, timeout: float = 10.0) -> None:
        base, credentials = without_userinfo(management_url.rstrip("/"))
        self.base_url = base
        self.user = credentials[0] if credentials else "guest"
        self._client = httpx.AsyncClient(base_url=base, auth=credentials, timeout=timeout)

    async def __aenter__(self) -> RabbitAdmin:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request to ``/api{path}``; return the decoded JSON answer or None."""
        try:
            response = await self._client.request(method, "/api" + path, json=body)
        except httpx.TransportError as exc:
            raise BrokerUnavailable(
                f"RabbitMQ management API at {self.base_url} is unreachable ({exc!r}); "
                "is the rabbitmq_management plugin enabled?"
            ) from exc
        if response.status_code >= 400:
            raise ManagementApiError(method, path, response.status_code, response.text[:500])
        return response.json() if response.content else None

    async def _get_or_none(self, path: str) -> Any:
        try:
            return await self.request("GET", path)
        except ManagementApiError as exc:
            if exc.status == 404:
                return None
            raise

    async def overview(self) -> dict[str, Any]:
        """``GET /api/overview``: broker version, node and totals."""
        result: dict[str, Any] = await self.request("GET", "/overview")
        return result

    async def create_vhost(self, vhost: str, *, grant_to: str | None = None) -> None:
        """Create ``vhost`` (idempotent) and give ``grant_to`` (default: our user) all rights."""
        await self.request("PUT", f"/vhosts/{_seg(vhost)}", {"description": "kerjasama"})
        await self.set_permissions(vhost, grant_to or self.user)

    async def delete_vhost(self, vhost: str) -> None:
        """Delete ``vhost`` and everything in it; no error when it does not exist."""
        try:
            await self.request("DELETE", f"/vhosts/{_seg(vhost)}")
        except ManagementApiError as exc:
            if exc.status != 404:
                raise

    async def set_permissions(
        self, vhost: str, user: str, configure: str = ".*", write: str = ".*", read: str = ".*"
    ) -> None:
        """Set the configure/write/read permission patterns of ``user`` on ``vhost``."""
        body = {"configure": configure, "write": write, "read": read}
        await self.request("PUT", f"/permissions/{_seg(vhost)}/{_seg(user)}", body)

    async def get_queue(self, vhost: str, name: str) -> dict[str, Any] | None:
        """The queue's details (``arguments``, ``type``, ``messages``, ...), or None."""
        result: dict[str, Any] | None = await self._get_or_none(
            f"/queues/{_seg(vhost)}/{_seg(name)}"
        )
        return result

    async def list_queues(self, vhost: str) -> list[dict[str, Any]]:
        """Every queue of ``vhost``."""
        result: list[dict[str, Any]] = await self.request("GET", f"/queues/{_seg(vhost)}")
        return result

    async def list_exchanges(self, vhost: str) -> list[dict[str, Any]]:
        """Every exchange of ``vhost``, the built-in ones included."""
        result: list[dict[str, Any]] = await self.request("GET", f"/exchanges/{_seg(vhost)}")
        return result

    async def list_bindings(self, vhost: str) -> list[dict[str, Any]]:
        """Every binding of ``vhost``."""
        result: list[dict[str, Any]] = await self.request("GET", f"/bindings/{_seg(vhost)}")
        return result

    async def put_policy(self, vhost: str, name: str, definition: dict[str, Any]) -> None:
        """Create or replace a policy; ``definition`` has pattern, definition, apply-to..."""
        await self.request("PUT", f"/policies/{_seg(vhost)}/{_seg(name)}", definition)

    async def list_policies(self, vhost: str) -> list[dict[str, Any]]:
        """Every policy of ``vhost``."""
        result: list[dict[str, Any]] = await self.request("GET", f"/policies/{_seg(vhost)}")
        return result

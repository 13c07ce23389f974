"""The figures as the reporting service serves them (``GET /kpis``), read with the
portal's own read-only token on first start and on a rebuild."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from contracts.codec import validate_data
from contracts.kpi import KpiUpdated
from plumbing.agreements_client import AgreementsUnavailable, BearerToken


class ReportingReader:
    """Reads every figure from reporting."""

    def __init__(self, base_url: str, token: Callable[[], str] | None = None, *,
                 client: httpx.AsyncClient | None = None, timeout: float = 30.0) -> None:
        self._client = client or httpx.AsyncClient(
            base_url=base_url, timeout=timeout,
            auth=None if token is None else BearerToken(token))

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()

    async def figures(self) -> list[dict[str, Any]]:
        """Every figure of every year, each checked against the contract of
        ``kpi.updated``."""
        response = await self._client.get("/kpis")
        if response.status_code >= 500:
            raise AgreementsUnavailable(f"GET /kpis: {response.status_code} from reporting")
        response.raise_for_status()
        items = response.json()
        if not isinstance(items, list):
            raise ValueError(f"GET /kpis: expected a JSON list, got {type(items).__name__}")
        return [validate_data(KpiUpdated.event_type, item).model_dump(mode="json")
                for item in items]

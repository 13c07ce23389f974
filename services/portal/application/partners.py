"""Finding a partner's public page: a merged partner's page moves to the partner that
stays (at the end of its chain of merges); a partner is public when some public agreement
names it or a partner merged into it, as the register shows only public agreements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from plumbing.db import Pool
from services.portal.adapters import partners
from services.portal.adapters.partner_queries import PartnerPage, partner_page


@dataclass(frozen=True)
class Moved:
    """The partner was merged: its page is that of ``to``."""

    to: UUID


async def find_partner(pool: Pool, partner_id: UUID, today: date, page: int,
                       size: int) -> PartnerPage | Moved | None:
    """The page of a partner, where it moved, or None (unknown, not public, or a loop of
    merges)."""
    stays = await partners.survivor_of(pool, partner_id)
    if stays is None:
        return None
    found = await partner_page(pool, stays, await partners.aliases(pool, stays), today,
                               page, size)
    if found is None:
        return None
    return found if stays == partner_id else Moved(stays)

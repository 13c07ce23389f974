"""The partner registry's side of generated histories (histories.generate(partners=True)):
several partners per kind for the proposals to name, and each partner's own stream:
registered (some adopted), sometimes revised (a category the registry later corrects:
the agreements keep the one proposed), and duplicates merged into another partner of the
kind, sometimes along a chain (A into B, then B into C), dated before or after the
agreements that name them."""

from __future__ import annotations

import random
from datetime import date
from itertools import pairwise
from typing import Any

from contracts.common import Kind, Partner, PartnerCategory
from contracts.events import EventData, PartnerMerged, PartnerRegistered, PartnerRevised
from contracts.partner_registry import PartnerStage
from contracts.partners import partner_id_of


def _p(name: str, category: str, country: str = "ID") -> Partner:
    return Partner(name=name, category=category, country=country)


POOL: dict[Kind, tuple[Partner, ...]] = {
    Kind.KSDD: (_p("Kabupaten Bogor", "REGIONAL_GOVERNMENT"),
                _p("Pemerintah Kabupaten Bogor", "REGIONAL_GOVERNMENT"),
                _p("Kota Bandung", "REGIONAL_GOVERNMENT")),
    Kind.KSDPK: (_p("blibli.com", "THIRD_PARTY"), _p("PT Global Digital Niaga", "THIRD_PARTY"),
                 _p("Bank BJB", "THIRD_PARTY"),
                 _p("Yayasan Pendidikan Nusantara", "OTHER_INSTITUTION")),
    Kind.KSDPL: (_p("Provinsi Gyeonggi", "FOREIGN_REGIONAL_GOVERNMENT", "KR"),
                 _p("Gyeonggi-do", "FOREIGN_REGIONAL_GOVERNMENT", "KR")),
    Kind.KSDLL: (_p("JICA", "FOREIGN_INSTITUTION", "JP"),
                 _p("Japan International Cooperation Agency", "FOREIGN_INSTITUTION", "JP")),
    Kind.SINERGI: (_p("Kementerian Dalam Negeri", "MINISTRY_OR_AGENCY"),
                   _p("Kemendagri", "MINISTRY_OR_AGENCY"),
                   _p("Universitas Padjadjaran", "STATE_UNIVERSITY")),
}
"""Partners per kind, each fitting its kind (docs/domain.md#kinds-and-partners)."""
OTHER_CATEGORY = {"THIRD_PARTY": "OTHER_INSTITUTION", "OTHER_INSTITUTION": "THIRD_PARTY",
                  "MINISTRY_OR_AGENCY": "STATE_UNIVERSITY",
                  "STATE_UNIVERSITY": "MINISTRY_OR_AGENCY"}
"""A category a revision may correct a partner to (the kind still fits it)."""

Dated = list[tuple[date, EventData]]


def _fields(partner: Partner, category: str | None = None) -> dict[str, Any]:
    return {"partner_id": partner_id_of(partner.name, partner.country), "name": partner.name,
            "category": PartnerCategory(category or partner.category.value),
            "country": partner.country, "stage": PartnerStage.ACTIVE}


def partner_streams(rng: random.Random, today: date,
                    day_between: Any) -> dict[str, Dated]:
    """Every pool partner's stream (by stream id), its events dated."""
    streams: dict[str, Dated] = {}
    registered: dict[Partner, date] = {}
    versions: dict[Partner, int] = {}
    for partners in POOL.values():
        for partner in partners:
            on = day_between(date(2019, 1, 1), min(today, date(2022, 6, 30)))
            registered[partner] = on
            versions[partner] = 1
            dated: Dated = [(on, PartnerRegistered(version=1, adopted=rng.random() < 0.5,
                                                   **_fields(partner)))]
            if rng.random() < 0.3 and partner.category.value in OTHER_CATEGORY:
                versions[partner] = 2
                dated.append((day_between(on, today), PartnerRevised(
                    version=2, **_fields(partner, OTHER_CATEGORY[partner.category.value]))))
            streams[f"partner-{partner_id_of(partner.name, partner.country)}"] = dated
    for partners in POOL.values():
        if len(partners) < 2 or rng.random() < 0.3:
            continue
        order = rng.sample(partners, len(partners))
        merged_on = date(2019, 1, 1)
        steps = 2 if len(order) > 2 and rng.random() < 0.6 else 1
        for victim, into in pairwise(order[:steps + 1]):
            stream = streams[f"partner-{partner_id_of(victim.name, victim.country)}"]
            merged_on = day_between(max(stream[-1][0], registered[into], merged_on), today)
            versions[victim] += 1
            stream.append((merged_on, PartnerMerged(
                partner_id=partner_id_of(victim.name, victim.country),
                version=versions[victim], stage=PartnerStage.MERGED,
                into=partner_id_of(into.name, into.country))))
    return streams


def partner_of(rng: random.Random, kind: Kind) -> Partner:
    """A partner of the pool that fits ``kind``."""
    return rng.choice(POOL[kind])

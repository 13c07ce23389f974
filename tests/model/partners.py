"""The partner registry as the model knows it (docs/domain.md#partners), and what the
agreements service should answer to it: registrations (one partner however its name is
spelt: 409 with ``existing_id``), revisions, merges (a merged id stands for the partner that
stays, along chains), reads, and the partner a proposal records.

Checked in the order the service checks them: the body (422) → a path that is no id (404)
→ the caller (403) → a partner the registry does not hold (404) → the version (412) → a
partner merged already (409) → another partner holds the name and country (409) → a merge
into no partner or into itself (422). The registry is shared by the examples (as the
running system is); ids and keys come from the contract's derivation
(:mod:`contracts.partners`), as fold.py takes them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.partner_registry import partner_key
from contracts.partners import normalised_partner_name, partner_id_of

Snapshot = dict[str, str]
"""A partner as a proposal names it: name, category, country."""
CONTACT_FIELDS = ("name", "email", "phone", "address")
CONTACTS: tuple[dict[str, str] | None, ...] = (
    None, {"name": "Divisi Kerja Sama"},
    {"name": "Bagian Umum", "email": "kerjasama@mitra.example", "phone": "+62 22 1234567",
     "address": "Jl. Naripan No. 12, Bandung"})
CODES: tuple[list[dict[str, str]], ...] = (
    [], [{"scheme": "NIB", "value": "8120000012345"}],
    [{"scheme": "NPWP", "value": "01.234.567.8-901.000"}, {"scheme": "AHU", "value": "AHU-1/2020"}],
    [{"scheme": f"R{i}", "value": f"{i}/2024"} for i in range(10)])
"""Registration numbers: none, one, two of other registers, and the most a partner has."""
BAD: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "no letters": lambda b: b | {"name": "..."},
    "control": lambda b: b | {"name": "Mitra\x1bbaru"},
    "line break": lambda b: b | {"name": "Mitra\u2028baru"},
    "empty name": lambda b: b | {"name": ""},
    "long name": lambda b: b | {"name": "M" * 301},
    "country name": lambda b: b | {"country": "Indonesia"},
    "country case": lambda b: b | {"country": "id"},
    "category": lambda b: b | {"category": "MITRA_LAIN"},
    "no category": lambda b: {k: v for k, v in b.items() if k != "category"},
    "scheme twice": lambda b: b | {"codes": [{"scheme": "NIB", "value": "1"},
                                             {"scheme": "NIB", "value": "2"}]},
    "code value": lambda b: b | {"codes": [{"scheme": "NIB", "value": "81#2"}]},
    "eleven codes": lambda b: b | {"codes": [{"scheme": f"R{i}", "value": "1"}
                                             for i in range(11)]},
    "email": lambda b: b | {"contact": {"email": "bukan-alamat"}},
    "phone": lambda b: b | {"contact": {"phone": "12"}},
    "contact field": lambda b: b | {"contact": {"fax": "022 123"}},
    "extra field": lambda b: b | {"website": "https://mitra.example"},
}
"""Bodies the contract refuses (422), each made from a valid one."""
SPELLINGS: tuple[Callable[[str], str], ...] = (
    str.upper, lambda n: f"{n.lower()}.", lambda n: n.replace(" ", "  -  "),
    lambda n: f"({n})", lambda n: n)
"""Other ways to write a name (the last one: as it is)."""
MALFORMED = "bukan-id"


def name_ok(name: str) -> bool:
    """Whether the contract takes ``name`` as a partner's name: a short text (one line, no
    control character, 1 to 300 characters) with a letter or digit."""
    return (0 < len(name) <= 300 and bool(normalised_partner_name(name))
            and not any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in name))


@dataclass
class Registered:
    """A partner of the registry."""

    id: str
    name: str
    category: str
    country: str
    codes: list[dict[str, str]] = field(default_factory=list)
    contact: dict[str, str | None] | None = None
    version: int = 1
    stage: str = "ACTIVE"
    merged_into: str | None = None
    """The partner it was merged into (that one may have been merged since)."""
    adopted: bool = False
    registered_as: tuple[str, str] = ("", "")
    """The name and country it was registered with (its id derives from them)."""

    def __post_init__(self) -> None:
        self.registered_as = self.registered_as if any(self.registered_as) else (
            self.name, self.country)

    @property
    def key(self) -> str:
        return partner_key(self.name, self.country)

    @property
    def snapshot(self) -> Snapshot:
        return {"name": self.name, "category": self.category, "country": self.country}

    def shown(self) -> dict[str, Any]:
        """What ``GET /partners?q=`` lists of it (``GET /partners/{id}`` adds its
        agreements) and what its events in the feed leave."""
        return {"id": self.id, "version": self.version, "stage": self.stage,
                **self.snapshot, "codes": self.codes, "contact": self.contact,
                "adopted": self.adopted, "merged_into": self.merged_into}

    def revised(self, body: Mapping[str, Any]) -> None:
        self.name, self.category, self.country = body["name"], body["category"], body["country"]
        self.codes, self.contact = stored_codes(body), stored_contact(body)


def stored_codes(body: Mapping[str, Any]) -> list[dict[str, str]]:
    return [dict(c) for c in body.get("codes", [])]


def stored_contact(body: Mapping[str, Any]) -> dict[str, str | None] | None:
    contact = body.get("contact")
    return None if contact is None else {k: contact.get(k) for k in CONTACT_FIELDS}


@dataclass(frozen=True)
class Naming:
    """How a proposal names its partner (the body's fields) and what it records."""

    fields: dict[str, Any]
    recorded: Snapshot | None
    """The snapshot the proposal records (None: it names no partner the registry holds)."""
    partner_id: str | None
    """The partner it records: the one that stays, for a merged one."""
    registers: bool = False
    """Whether the proposal registers its partner (new to the registry)."""
    malformed: bool = False
    """Both ``partner`` and ``partner_id``, or neither: the contract refuses it."""


class Registry:
    """Every partner of the running system, by id."""

    def __init__(self, partners: Mapping[str, Registered] | None = None) -> None:
        self.partners: dict[str, Registered] = dict(partners or {})

    def survivor(self, partner_id: str) -> str | None:
        """The active partner an id stands for (None: the registry does not hold it)."""
        seen = set()
        while partner_id in self.partners and partner_id not in seen:
            seen.add(partner_id)
            into = self.partners[partner_id].merged_into
            if into is None:
                return partner_id
            partner_id = into
        return None

    def holding(self, key: str) -> str | None:
        """The active partner whose normalised name and country are ``key``."""
        return next((p.id for p in self.partners.values()
                     if p.stage == "ACTIVE" and p.key == key), None)

    def resolve(self, name: str, country: str) -> tuple[str, bool]:
        """The partner a snapshot names: the active partner holding its name and country,
        else the partner its derived id stands for (renamed or merged since), else a new
        one under that id (True)."""
        derived = str(partner_id_of(name, country))
        found = self.holding(partner_key(name, country)) or self.survivor(derived)
        return (found, False) if found else (derived, True)

    def naming(self, fields: dict[str, Any]) -> Naming:
        """What a proposal with these partner fields records."""
        if ("partner" in fields) == ("partner_id" in fields):
            return Naming(fields, None, None, malformed=True)
        if "partner_id" in fields:
            found = self.survivor(str(fields["partner_id"]))
            return Naming(fields, self.partners[found].snapshot if found else None, found)
        given = fields["partner"]
        partner_id, new = self.resolve(given["name"], given["country"])
        return Naming(fields, dict(given), partner_id, new)

    def proposed(self, naming: Naming) -> None:
        """A proposal with ``naming`` was accepted: its partner registered if new."""
        given = naming.recorded
        if naming.registers and given and naming.partner_id:
            self.partners[naming.partner_id] = Registered(
                naming.partner_id, given["name"], given["category"], given["country"])

    def adopt(self, named: list[Snapshot]) -> dict[str, int]:
        """The adoption job reads proposals of the earlier release naming these partners,
        in turn: each the registry does not hold is registered (adopted) under the id
        derived from its name and country, and merged at once into the active partner
        that holds them, if another does; the events each adoption appends, by id."""
        adopted: dict[str, int] = {}
        for given in named:
            partner_id = str(partner_id_of(given["name"], given["country"]))
            if partner_id in self.partners:
                continue
            holder = self.holding(partner_key(given["name"], given["country"]))
            partner = Registered(partner_id, given["name"], given["category"],
                                 given["country"], adopted=True)
            if holder:  # renamed to this name since: the old id stands for the holder
                partner.version, partner.stage, partner.merged_into = 2, "MERGED", holder
            self.partners[partner_id] = partner
            adopted[partner_id] = 1 + bool(holder)
        return adopted

    def pick(self, index: int, mine: list[str], *, stage: str | None = "ACTIVE",
             fits: Callable[[Registered], bool] = lambda _: True) -> Registered | None:
        """One partner (of ``mine`` when one of them will do, else any), in ``stage``
        (None: any stage), that ``fits``."""
        def ok(p: Registered) -> bool:
            return (stage is None or p.stage == stage) and fits(p)
        for pool in ([self.partners[i] for i in mine if i in self.partners],
                     list(self.partners.values())):
            found = [p for p in pool if ok(p)]
            if found:
                return found[index % len(found)]
        return None

    # --- the registry's commands ------------------------------------------------------

    def register(self, body: dict[str, Any], valid: bool, may: bool
                 ) -> tuple[int, str | None]:
        """``POST /partners``: (status, the id made or the ``existing_id`` of a 409)."""
        if not valid:
            return 422, None
        if not may:
            return 403, None
        derived = str(partner_id_of(body["name"], body["country"]))
        if derived in self.partners:
            return 409, self.survivor(derived)
        holder = self.holding(partner_key(body["name"], body["country"]))
        return (409, holder) if holder else (201, derived)

    def revise(self, partner_id: str, body: dict[str, Any], valid: bool, may: bool,
               version: int | None) -> tuple[int, str | None]:
        """``PUT /partners/{id}``: (status, the ``existing_id`` of a 409 partner-exists)."""
        found = self._acted_on(partner_id, valid, may, version)
        if found:
            return found, None
        holder = self.holding(partner_key(body["name"], body["country"]))
        return (409, holder) if holder not in (None, partner_id) else (200, None)

    def merge(self, partner_id: str, into: str, may: bool, version: int | None
              ) -> tuple[int, str | None]:
        """``POST /partners/{id}/merge``: (status, the partner it then stands for)."""
        found = self._acted_on(partner_id, into != MALFORMED, may, version)
        if found:
            return found, None
        stays = self.survivor(into)
        return (200, stays) if stays not in (None, partner_id) else (422, None)

    def _acted_on(self, partner_id: str, valid: bool, may: bool, version: int | None
                  ) -> int | None:
        """The refusal of a command on a registered partner, before its own rules."""
        if not valid:
            return 422
        if partner_id == MALFORMED:
            return 404
        if not may:
            return 403
        partner = self.partners.get(partner_id)
        if partner is None:
            return 404
        if version is not None and version != partner.version:
            return 412
        return 409 if partner.stage != "ACTIVE" else None

    def search(self, q: str, country: str | None, category: str | None) -> list[str]:
        """``GET /partners?q=``: the active partners whose normalised name holds the
        normalised ``q`` (every one for a ``q`` without letters or digits), by id."""
        part = normalised_partner_name(q)
        return sorted(p.id for p in self.partners.values()
                      if p.stage == "ACTIVE" and part in normalised_partner_name(p.name)
                      and country in (None, p.country) and category in (None, p.category))

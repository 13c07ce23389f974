"""Stable partner ids, derived from a partner's name and country.

An agreement names its partner as a snapshot (``{name, category, country}``); the same
partner written with other spacing, case or punctuation ("PT. Bank  BJB", "pt bank bjb")
is still one partner. :func:`partner_id_of` gives every spelling the same id, a UUID 5
under :data:`PARTNER_NAMESPACE`, so events, read models and a later partner registry
(which will adopt these ids) agree without a lookup. Everything here is pure: the id
depends on the two strings only, and changing the algorithm would change stored ids.
"""

from __future__ import annotations

import re
import unicodedata
from uuid import UUID, uuid5

PARTNER_NAMESPACE = UUID("a1e1ff58-c07d-526b-808f-4f53c9c4f1ea")
"""Namespace of the partner ids: ``uuid5(NAMESPACE_URL, "urn:kerjasama:partner")``, fixed
here as a literal because every id ever derived depends on it."""

_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
"""A run of characters that are not alphanumeric (``str.isalnum``): ``\\W`` is everything
but alphanumerics and the underscore, so the underscore is added."""


def normalised_partner_name(name: str) -> str:
    """The name as compared: Unicode NFKC, casefolded (then NFKC again, since casefolding
    can leave text that is not NFKC), every run of non-alphanumeric characters made one
    space, stripped.

    ``"PT. Bank  BJB"`` and ``"pt bank bjb"`` both give ``"pt bank bjb"``; a name of
    punctuation only gives ``""``.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return _NOT_ALPHANUMERIC.sub(" ", folded).strip()


def partner_id_of(name: str, country: str) -> UUID:
    """The partner's id: ``uuid5(PARTNER_NAMESPACE, "<normalised name>|<COUNTRY>")``, the
    country upper-cased (ISO 3166-1 alpha-2, as events carry it)."""
    return uuid5(PARTNER_NAMESPACE, f"{normalised_partner_name(name)}|{country.upper()}")

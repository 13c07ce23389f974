"""Who may see a contact and the deliveries to it."""

from __future__ import annotations

from plumbing.auth import Principal
from services.notifications.application.queries import Readers

READERS = Readers("TKKSD", "SEKDA")


def _caller(*roles: str) -> Principal:
    return Principal("someone", frozenset(roles))


def test_the_tkksd_sees_every_contact_and_every_error() -> None:
    tkksd = _caller("tkksd")
    assert READERS.codes(tkksd) is None and READERS.sees_errors(tkksd)
    assert all(READERS.may_read(tkksd, code) for code in ("DISKUK", "TKKSD", "SEKDA"))


def test_an_agency_sees_its_own_contact_only_and_no_raw_errors() -> None:
    diskuk = _caller("opd:DISKUK")
    assert READERS.codes(diskuk) == frozenset({"DISKUK"})
    assert READERS.may_read(diskuk, "DISKUK")
    assert not READERS.may_read(diskuk, "DISHUB") and not READERS.may_read(diskuk, "TKKSD")
    assert not READERS.sees_errors(diskuk)


def test_the_regional_secretary_sees_its_configured_contact() -> None:
    sekda = _caller("sekda")
    assert READERS.codes(sekda) == frozenset({"SEKDA"}) and READERS.may_read(sekda, "SEKDA")
    assert not READERS.may_read(sekda, "TKKSD") and not READERS.sees_errors(sekda)


def test_an_agency_role_named_like_an_office_opens_no_office_contact() -> None:
    squatter = _caller("opd:TKKSD", "opd:SEKDA")
    assert READERS.codes(squatter) == frozenset()
    assert not READERS.may_read(squatter, "TKKSD") and not READERS.may_read(squatter, "SEKDA")


def test_other_roles_see_nothing() -> None:
    for roles in (("reporting",), ("governor",), ("operator",), ("system:kemendagri",), ()):
        assert READERS.codes(_caller(*roles)) == frozenset()


def test_a_refusal_says_who_may_read() -> None:
    assert READERS.describe("DISKUK") == \
        "the TKKSD secretariat (role tkksd) or that agency (role opd:DISKUK)"
    assert READERS.describe("SEKDA") == \
        "the TKKSD secretariat (role tkksd) or the regional secretary (role sekda)"
    assert READERS.describe("TKKSD") == "the TKKSD secretariat (role tkksd)"

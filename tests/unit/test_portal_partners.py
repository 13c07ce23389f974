"""The portal's partners (pure): a partner's public record folded from its stream without
its contact, chains of merges, the snapshot until the registration arrives, an agreement's
partner_id (derived for views stored before), the open data's partner_id, and the partner
pages and links rendered in both languages."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID, uuid4

import pytest

from contracts.events import (
    AgreementProposed,
    AgreementSigned,
    PartnerMerged,
    PartnerRegistered,
    PartnerRevised,
)
from contracts.examples import example_of
from contracts.partners import partner_id_of
from plumbing.db import Pool
from services.portal.adapters.partner_queries import Listed
from services.portal.adapters.store import Filters, Page
from services.portal.domain.partners import (
    Code,
    EventBeforeRegistration,
    PublicPartner,
    Shown,
    Totals,
    evolve,
    shown,
    survivor,
)
from services.portal.domain.register import Party, PublicAgreement, from_json, to_json
from services.portal.domain.register import evolve as evolve_agreement
from services.portal.entrypoints.open_data import OPEN_COLUMNS, open_record
from services.portal.entrypoints.pages import Pages

BJB = UUID("67ff4846-50bd-5f24-908f-71a2d23e8174")
CONTACT = {"name": "Divisi Kerja Sama", "email": "kerjasama@bankbjb.example",
           "phone": "+62 22 1234567", "address": "Jl. Naripan No. 12, Bandung"}


def registered(**changes: Any) -> PartnerRegistered:
    values: dict[str, Any] = {"partner_id": BJB, "contact": CONTACT}
    values.update(changes)
    return example_of(PartnerRegistered, **values)


def test_a_registered_partner_keeps_name_category_country_and_codes_but_not_its_contact(
        ) -> None:
    partner = evolve(None, registered())
    assert partner == PublicPartner(
        BJB, "PT Bank Pembangunan Daerah Jawa Barat dan Banten", "THIRD_PARTY", "ID",
        (Code("NIB", "8120000012345"),), "ACTIVE", 1)
    assert "kerjasama@bankbjb.example" not in repr(partner)
    assert "Naripan" not in repr(partner) and "1234567" not in repr(partner)


def test_a_revision_replaces_every_field_and_a_merge_names_the_partner_that_stays() -> None:
    partner = evolve(None, registered())
    revised = evolve(partner, example_of(
        PartnerRevised, partner_id=BJB, version=2, name="PT Bank BJB Tbk",
        category="THIRD_PARTY", country="ID", contact=CONTACT,
        codes=[{"scheme": "NPWP", "value": "01.234.567.8-999.000"}]))
    assert (revised.name, revised.codes, revised.version) == (
        "PT Bank BJB Tbk", (Code("NPWP", "01.234.567.8-999.000"),), 2)
    stays = uuid4()
    merged = evolve(revised, example_of(PartnerMerged, partner_id=BJB, version=3,
                                        stage="MERGED", into=stays))
    assert (merged.stage, merged.merged_into, merged.name) == ("MERGED", stays,
                                                               "PT Bank BJB Tbk")


def test_a_revision_or_a_merge_before_the_registration_is_refused() -> None:
    with pytest.raises(EventBeforeRegistration):
        evolve(None, example_of(PartnerMerged, partner_id=BJB, version=2, stage="MERGED"))
    with pytest.raises(EventBeforeRegistration):
        evolve(None, example_of(PartnerRevised, partner_id=BJB, version=2))


def test_a_merged_partner_stands_for_the_end_of_its_chain_and_a_loop_for_none() -> None:
    a, b, c, d = (uuid4() for _ in range(4))
    merged_into: dict[UUID, UUID | None] = {a: b, b: c, c: None}
    assert survivor(a, merged_into) == c and survivor(b, merged_into) == c
    assert survivor(c, merged_into) == c
    assert survivor(d, merged_into) == d  # not registered yet: itself
    assert survivor(a, {a: b, b: a}) is None


def test_a_partner_not_registered_yet_is_shown_as_its_agreements_name_it() -> None:
    snapshot = Party("PT Shopee International Indonesia", "THIRD_PARTY", "ID")
    assert shown(BJB, None, snapshot) == Shown(
        BJB, "PT Shopee International Indonesia", "THIRD_PARTY", "ID", (), registered=False)
    partner = evolve(None, registered())
    assert shown(BJB, partner, snapshot).name == partner.name
    assert shown(BJB, partner, snapshot).registered


def test_an_agreement_keeps_its_partner_id_and_an_older_view_derives_it() -> None:
    chosen = uuid4()  # proposed by partner_id: not the snapshot's derived id
    view = evolve_agreement(None, example_of(AgreementProposed, partner_id=chosen))
    assert view.partner_id == chosen and from_json(to_json(view)) == view
    stored = to_json(view)
    del stored["partner_id"]  # a view stored before the partner pages
    assert from_json(stored).partner_id == partner_id_of("blibli.com", "ID")


def public_agreement(**changes: Any) -> PublicAgreement:
    proposed = example_of(AgreementProposed, value_cash=250_000_000, **changes)
    return evolve_agreement(evolve_agreement(None, proposed), example_of(
        AgreementSigned, agreement_id=proposed.agreement_id, version=6))


def test_the_open_data_names_the_partner_it_stands_under() -> None:
    view = public_agreement()
    stays = uuid4()
    record = open_record(view, "in_force", stays)
    assert record["partner_id"] == str(stays) and "partner_id" in OPEN_COLUMNS
    assert open_record(view, "in_force", None)["partner_id"] is None


def render(name: str, lang: str, **context: Any) -> str:
    return Pages(cast(Pool, None)).render(name, lang, **context).decode()


def partner_page(lang: str, p: Shown, items: list[Any]) -> str:
    return render("partner.html", lang, p=p, items=items, page=1, pages=1,
                  query={"lang": "en"} if lang == "en" else {},
                  totals=Totals(3, 2, 1_250_000_000, None, 75_000_000))


def test_the_partner_page_shows_who_the_partner_is_and_its_totals_in_both_languages(
        ) -> None:
    p = shown(BJB, evolve(None, registered()), Party("x", "THIRD_PARTY", "ID"))
    view = public_agreement(title="Layanan kas daerah")
    indonesian = partner_page("id", p, [(view, "in_force")])
    english = partner_page("en", p, [(view, "in_force")])
    for shown_text in ("PT Bank Pembangunan Daerah Jawa Barat dan Banten", "Pihak ketiga",
                       "NIB: <span class=\"amount\">8120000012345</span>",
                       "Kerja sama ditandatangani", "Sedang berlaku", "Rp 1.250.000.000",
                       "Rp 75.000.000", f'href="/register/{view.id}"', "Layanan kas daerah",
                       "Berlaku", "Kembali ke daftar mitra"):
        assert shown_text in indonesian, shown_text
    for shown_text in ("Third party", "Agreements signed", "In force now",
                       "IDR 1,250,000,000", "IDR 75,000,000", "Value in kind",
                       f'href="/register/{view.id}?lang=en"', "Back to the partners",
                       '<html lang="en">'):
        assert shown_text in english, shown_text
    assert "Belum tercatat" not in indonesian
    for contact in CONTACT.values():
        assert contact not in indonesian


def test_a_partner_known_only_from_its_agreements_says_so() -> None:
    p = shown(BJB, None, Party("PT Angkasa Pura II", "THIRD_PARTY", "ID"))
    assert "Belum tercatat di daftar mitra" in partner_page("id", p, [])
    assert "Not in the partner registry yet" in partner_page("en", p, [])


def test_the_partners_list_links_each_partner_in_both_languages() -> None:
    p = shown(BJB, evolve(None, registered()), Party("x", "THIRD_PARTY", "ID"))
    context: dict[str, Any] = {"found": [Listed(p, 3, 2)], "total": 1, "q": "bjb", "page": 1,
                               "pages": 1}
    indonesian = render("partners.html", "id", query={"q": "bjb"}, **context)
    english = render("partners.html", "en", query={"q": "bjb", "lang": "en"}, **context)
    assert f'href="/partners/{BJB}"' in indonesian and "1 mitra" in indonesian
    assert "Cari mitra (nama)" in indonesian and 'value="bjb"' in indonesian
    assert f'href="/partners/{BJB}?lang=en"' in english and "1 partners" in english
    assert "Search partners (name)" in english and "In force now" in english


def test_the_register_and_the_agreement_link_the_partner_to_the_partner_that_stays() -> None:
    view = public_agreement(partner_id=BJB)
    stays = uuid4()
    register = render("register.html", "en", found=Page([(view, "in_force")], 1), page=1,
                      pages=1, filters=Filters(),
                      choices={"opd": [], "year": [], "priority": []}, statuses=(),
                      query={"lang": "en"}, priority_names={}, kinds=[], categories=[],
                      moved={BJB: stays})
    assert f'<a href="/partners/{stays}?lang=en">blibli.com</a>' in register
    one = render("agreement.html", "id", a=view, status="in_force", priority=None, moved={})
    assert f'<a href="/partners/{BJB}">blibli.com</a>' in one

"""CLI commands on the partner registry (docs/domain.md#partners): list, show, register,
revise and merge partners."""

from __future__ import annotations

import argparse
import json
from typing import Any

from contracts.common import PartnerCategory
from plumbing.service_client import CliError, ServiceClient, describe_problem
from plumbing.tables import table
from services.cli.bodies import answer_line, command_headers

PARTNER_COLUMNS = ("id", "category", "country", "codes", "name")
AGREEMENT_COLUMNS = ("id", "stage", "kind", "document_type", "lead_opd", "signed_on", "title")
CONTACT_FIELDS = ("name", "email", "phone", "address")
PARTNER_EXISTS = "urn:kerjasama:problem:partner-exists"


def code(value: str) -> dict[str, str]:
    """``SCHEME=VALUE`` → ``{"scheme", "value"}`` (argparse type)."""
    scheme, sep, number = value.partition("=")
    if not sep or not scheme or not number:
        raise argparse.ArgumentTypeError(f"a code is SCHEME=VALUE, not {value!r}")
    return {"scheme": scheme.upper(), "value": number}


def _codes(codes: list[dict[str, str]]) -> str:
    return ", ".join(f"{c['scheme']} {c['value']}" for c in codes)






def _refused(method: str, path: str, response: Any) -> CliError:
    """The problem as one line; a duplicate names the partner registered already."""
    line = f"agreements: {method} {path}: {describe_problem(response)}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("type") == PARTNER_EXISTS and body.get(
            "existing_id"):
        line += (f"; existing_id {body['existing_id']} (kerjasama partners show "
                 f"{body['existing_id']})")
    return CliError(line)


async def _send(agreements: ServiceClient, method: str, path: str, body: dict[str, Any],
                headers: dict[str, str]) -> str:
    response = await agreements.request(method, path, json=body, headers=headers,
                                        ok=(200, 201, 409))
    if response.status_code == 409:
        raise _refused(method, path, response)
    return answer_line(response)


async def _partner(agreements: ServiceClient, partner_id: str) -> tuple[dict[str, Any], str]:
    """A partner as it stands, following merges; with a line saying where a merged id led
    (empty when ``partner_id`` is active)."""
    path, note = f"/partners/{partner_id}", ""
    for _ in range(20):  # the registry refuses loops; a chain is short
        response = await agreements.request("GET", path, ok=(200, 301))
        if response.status_code == 200:
            return dict(response.json()), note
        path = response.headers["Location"]
        note = (f"partner {partner_id} was merged into {path.rsplit('/', 1)[-1]}; "
                "that partner stands for it:")
    raise CliError(f"partner {partner_id}: too many merges to follow")


def _changed(args: argparse.Namespace, now: dict[str, Any]) -> dict[str, Any]:
    """The whole partner as ``PUT`` takes it: what it is now, with the changes given."""
    body = {k: now.get(k) for k in ("name", "category", "country")}
    for name in ("name", "category", "country"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    codes = {c["scheme"]: c["value"] for c in now.get("codes") or []}
    if args.no_codes:
        codes = {}
    for scheme in args.drop_code:
        if codes.pop(scheme.upper(), None) is None:
            raise CliError(f"partner {now['id']} has no {scheme.upper()} code to drop")
    codes.update({c["scheme"]: c["value"] for c in args.code})
    body["codes"] = [{"scheme": s, "value": v} for s, v in codes.items()]
    body["contact"] = _contact(args, None if args.no_contact else now.get("contact"))
    return body


def _contact(args: argparse.Namespace, now: dict[str, Any] | None) -> dict[str, Any] | None:
    """The contact with the ``--contact-*`` given (an empty value clears that field)."""
    contact = {k: (now or {}).get(k) for k in CONTACT_FIELDS}
    for name in CONTACT_FIELDS:
        value = getattr(args, f"contact_{name}")
        if value is not None:
            contact[name] = value or None
    return contact if any(contact.values()) else None


async def listing(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """GET /partners: active partners, by name."""
    found = await agreements.get_json("/partners", q=args.q, category=args.category,
                                      country=args.country, limit=args.limit)
    if args.output == "json":
        return json.dumps(found, indent=2, ensure_ascii=False)
    if not found:
        return "no partners"
    return table(PARTNER_COLUMNS, [[p.get("id"), p.get("category"), p.get("country"),
                                    _codes(p.get("codes") or []), p.get("name")]
                                   for p in found])


async def register(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """POST /partners."""
    body = {"name": args.name, "category": args.category, "country": args.country,
            "codes": args.code, "contact": _contact(args, None)}
    return await _send(agreements, "POST", "/partners", body, command_headers(args))


async def revise(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """PUT /partners/{id}: the changes given, over the partner as it stands."""
    now, note = await _partner(agreements, args.id)
    if note:
        raise CliError(f"partner {args.id} was merged into {now['id']}; revise that "
                       "partner instead")
    headers = command_headers(args)
    headers.setdefault("If-Match", str(now["version"]))  # no change lost in between
    return await _send(agreements, "PUT", f"/partners/{args.id}", _changed(args, now),
                       headers)


async def merge(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """POST /partners/{id}/merge."""
    return await _send(agreements, "POST", f"/partners/{args.id}/merge",
                       {"into": args.into}, command_headers(args))


async def show(args: argparse.Namespace, agreements: ServiceClient) -> str:
    """A partner (the one a merged id stands for) and its agreements."""
    partner, note = await _partner(agreements, args.id)
    if args.output == "json":
        return json.dumps(partner, indent=2, ensure_ascii=False)
    contact = partner.get("contact") or {}
    facts = [("id", partner["id"]), ("name", partner.get("name")),
             ("category", partner.get("category")), ("country", partner.get("country")),
             ("stage", partner.get("stage")), ("version", partner.get("version")),
             ("codes", _codes(partner.get("codes") or []) or None),
             *[(f"contact {k}", contact.get(k)) for k in CONTACT_FIELDS if contact.get(k)],
             ("adopted", "yes (from earlier proposals)" if partner.get("adopted") else None)]
    rows = [[a.get(c) for c in AGREEMENT_COLUMNS[:-1]] + [
        a.get("title", "") + ("" if a.get("partner_id") == partner["id"]
                              else f"  [via merged partner {a.get('partner_id')}]")]
        for a in partner.get("agreements", [])]
    listed = table(AGREEMENT_COLUMNS, rows) if rows else "no agreements"
    shown = table(("field", "value"), [f for f in facts if f[1] is not None])
    return "\n".join([*([note] if note else []), shown, "", listed])


def _contact_options(parser: argparse.ArgumentParser, clears: bool) -> None:
    for name in CONTACT_FIELDS:
        parser.add_argument(f"--contact-{name}", metavar=name.upper(),
                            help=f"the contact's {name}" + (" ('' clears it)" if clears
                                                             else ""))


def add_parsers(sub: Any) -> None:
    """Register ``kerjasama partners ...`` on the CLI's subparsers."""
    categories = [c.value for c in PartnerCategory]
    p = sub.add_parser("partners", help="the partner registry: list, show, register, "
                       "revise, merge")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="active partners, by name")
    a.add_argument("--q", help="part of the name (however spelt: case, spaces, punctuation)")
    a.add_argument("--category", choices=categories)
    a.add_argument("--country", type=str.upper, help="ISO 3166-1 alpha-2, e.g. KR")
    a.add_argument("--limit", type=int, default=100)
    a.set_defaults(run=listing, service="agreements")
    a = actions.add_parser("show", help="one partner with its agreements (a merged id: the "
                           "partner it was merged into)")
    a.add_argument("id", help="partner id")
    a.set_defaults(run=show, service="agreements")
    a = actions.add_parser("register", help="register a partner (refused when its "
                           "normalised name and country are registered already)")
    a.add_argument("--name", required=True)
    a.add_argument("--category", required=True, choices=categories)
    a.add_argument("--country", required=True, type=str.upper, help="ISO 3166-1 alpha-2")
    a.add_argument("--code", type=code, action="append", default=[], metavar="SCHEME=VALUE",
                   help="a registration number, e.g. NIB=8120000012345 (repeat for each)")
    _contact_options(a, clears=False)
    a.add_argument("--idempotency-key")
    a.set_defaults(run=register, service="agreements")
    a = actions.add_parser("revise", help="change what the registry knows of a partner (the "
                           "fields given; the rest kept) - TKKSD")
    a.add_argument("id", help="partner id")
    a.add_argument("--name")
    a.add_argument("--category", choices=categories)
    a.add_argument("--country", type=str.upper)
    a.add_argument("--code", type=code, action="append", default=[], metavar="SCHEME=VALUE",
                   help="set a registration number (replaces that scheme's)")
    a.add_argument("--drop-code", action="append", default=[], metavar="SCHEME",
                   help="remove that scheme's registration number")
    a.add_argument("--no-codes", action="store_true", help="remove every registration number")
    _contact_options(a, clears=True)
    a.add_argument("--no-contact", action="store_true", help="remove the contact")
    a.add_argument("--if-match", type=int, help="refuse unless at this version (default: "
                   "the version read)")
    a.add_argument("--idempotency-key")
    a.set_defaults(run=revise, service="agreements")
    a = actions.add_parser("merge", help="merge a duplicate into the partner that stays "
                           "(its id then stands for that one) - TKKSD")
    a.add_argument("id", help="the duplicate partner's id")
    a.add_argument("--into", required=True, help="the id of the partner that stays")
    a.add_argument("--if-match", type=int, help="refuse unless the duplicate is at this "
                   "version")
    a.add_argument("--idempotency-key")
    a.set_defaults(run=merge, service="agreements")

"""The bodies of the evidence, history and what-if routes (DESIGN §9)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contracts.common import BUSINESS_YEAR_MAX, BUSINESS_YEAR_MIN, DocumentType
from plumbing import clock
from plumbing.tables import spreadsheet_cell
from services.reporting.application.record import HistoryEntry
from services.reporting.domain.evaluation import Evidence, Item, KpiRules
from services.reporting.domain.facts import EventRef


class DraftRules(BaseModel):
    """Rule parameters to weigh; each one left out keeps the service's own."""

    model_config = ConfigDict(extra="forbid")

    sleeping_after_days: int | None = Field(None, ge=1, le=3650, description="Days without "
                                            "follow-up after which a signed agreement sleeps.")
    effectiveness_document_types: list[DocumentType] | None = Field(
        None, min_length=1, max_length=4, description="The documents effectiveness counts "
        "(default MOU and PKS).")
    validity_cap_years: int | None = Field(None, ge=1, le=100, description="Cut every "
                                           "in-force period at effective_from + N years - 1 "
                                           "day.")

    def apply(self, base: KpiRules) -> KpiRules:
        """The service's rules with these drafts."""
        rules = base
        if self.sleeping_after_days is not None:
            rules = replace(rules, sleeping_after_days=self.sleeping_after_days)
        if self.effectiveness_document_types is not None:
            rules = replace(rules, effectiveness_document_types=frozenset(
                self.effectiveness_document_types))
        if self.validity_cap_years is not None:
            rules = replace(rules, validity_cap_years=self.validity_cap_years)
        return rules

    def echo(self, base: KpiRules) -> dict[str, Any]:
        """The rules applied, every parameter spelt out."""
        rules = self.apply(base)
        return {"sleeping_after_days": rules.sleeping_after_days,
                "effectiveness_document_types": sorted(
                    t.value for t in rules.effectiveness_document_types),
                "validity_cap_years": rules.validity_cap_years}


class WhatIf(BaseModel):
    """``POST /kpis/what-if``."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=BUSINESS_YEAR_MIN, le=BUSINESS_YEAR_MAX, description="Year of the "
                      "figures.")
    rules: DraftRules = Field(default_factory=DraftRules)


def _event(event: EventRef) -> dict[str, Any]:
    return {"id": str(event.id), "position": event.position, "type": event.type,
            "date": event.date.isoformat()}


def _item(item: Item) -> dict[str, Any]:
    """One item: the agreement (``agreement_id`` null for a mapping item no agreement
    realised), with ``mapping_item_id`` for a mapping item, ``amount`` (whole rupiah) for
    an amount figure and ``events`` when several events add up to it."""
    agreement, event = item.agreement_id, item.event
    body: dict[str, Any] = {
        "agreement_id": None if agreement is None else str(agreement), "title": item.title,
        "lead_opd": item.lead_opd, "reason": item.reason.value,
        "event": None if event is None else _event(event)}
    if item.mapping is not None:
        body["mapping_item_id"] = str(item.mapping.id)
    if item.amount is not None:
        body["amount"] = item.amount
    if item.events:
        body["events"] = [_event(e) for e in item.events]
    return body


def evidence_json(proof: Evidence, position: int) -> dict[str, Any]:
    """The evidence of a figure as JSON."""
    key = proof.key
    numerator = proof.numerator
    return {"indicator": key.indicator.value, "year": key.year, "scope": key.scope,
            "numerator": int(numerator) if float(numerator).is_integer() else numerator,
            "denominator": proof.denominator, "as_of_position": position,
            "counted": [_item(i) for i in proof.counted],
            "excluded": [_item(i) for i in proof.excluded]}


CSV_COLUMNS = ("status", "agreement_id", "title", "lead_opd", "reason", "event_id",
               "event_position", "event_type", "event_date", "mapping_item_id", "amount")


def evidence_csv(proof: Evidence) -> str:
    """The evidence of a figure as CSV: one row per agreement (or mapping item), counted or
    excluded; ``amount`` in whole rupiah for an amount figure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for status, items in (("counted", proof.counted), ("excluded", proof.excluded)):
        for item in items:
            event = item.event
            agreement = item.agreement_id
            writer.writerow([
                status, "" if agreement is None else str(agreement),
                spreadsheet_cell(item.title), item.lead_opd,
                item.reason.value, "" if event is None else str(event.id),
                "" if event is None else event.position, "" if event is None else event.type,
                "" if event is None else event.date.isoformat(),
                "" if item.mapping is None else str(item.mapping.id),
                "" if item.amount is None else item.amount])
    return out.getvalue()


def history_json(entry: HistoryEntry) -> dict[str, Any]:
    """One entry of a figure's history."""
    figure = entry.figure
    numerator = figure.numerator
    return {"revision": entry.revision, "value": figure.value,
            "numerator": int(numerator) if float(numerator).is_integer() else numerator,
            "denominator": figure.denominator, "target": figure.target,
            "as_of_position": entry.position,
            "time": clock.to_wib(entry.time).isoformat(),
            "events": [{"id": str(i), "position": p} for i, p in entry.events],
            "restated": entry.restated, "previous_value": entry.previous_value}

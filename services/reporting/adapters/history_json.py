"""The facts of an agreement as the history of the record keeps them (JSON, column
``record_history.facts``)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import orjson

from contracts.common import DocumentType, Kind, Stage
from services.reporting.adapters.planning_rows import ref_json, ref_of, revenues_of
from services.reporting.domain.facts import AgreementFacts, PartnerSnapshot


def facts_json(facts: AgreementFacts) -> str:
    """The facts as the history keeps them (JSON; orjson writes ids, dates and stages as
    their text)."""
    return orjson.dumps({
        "id": facts.id, "title": facts.title, "kind": facts.kind,
        "document_type": facts.document_type, "lead_opd": facts.lead_opd,
        "plan_year": facts.plan_year, "proposed_on": facts.proposed_on,
        "stage": facts.stage, "version": facts.version, "parent_id": facts.parent_id,
        "number": facts.number, "signed_on": facts.signed_on,
        "effective_from": facts.effective_from, "effective_until": facts.effective_until,
        "terminated_on": facts.terminated_on, "activity_dates": facts.activity_dates,
        "signed_by": ref_json(facts.signed_by),
        "activities": [ref_json(a) for a in facts.activities],
        "last_event": ref_json(facts.last_event), "priority": facts.priority,
        "mapping_item_id": facts.mapping_item_id, "value_cash": facts.value_cash,
        "value_in_kind": facts.value_in_kind,
        "revenues": [[r.on, r.amount, ref_json(r.event)] for r in facts.revenues],
        "partner_id": facts.partner_id,
        "partner": None if facts.partner is None else [
            facts.partner.name, facts.partner.category, facts.partner.country]},
        default=str).decode()


def facts_of_json(text: str, refs: bool = True) -> AgreementFacts:
    """The facts the history kept (:func:`facts_json`); without the events behind them
    unless ``refs`` (they are read only for the evidence)."""
    v = orjson.loads(text)

    def day(key: str) -> date | None:
        return None if v[key] is None else date.fromisoformat(v[key])
    return AgreementFacts(
        id=UUID(v["id"]), title=v["title"], kind=Kind(v["kind"]),
        document_type=DocumentType(v["document_type"]), lead_opd=v["lead_opd"],
        plan_year=v["plan_year"], proposed_on=date.fromisoformat(v["proposed_on"]),
        stage=Stage(v["stage"]), version=v["version"],
        parent_id=None if v["parent_id"] is None else UUID(v["parent_id"]),
        number=v["number"], signed_on=day("signed_on"), effective_from=day("effective_from"),
        effective_until=day("effective_until"), terminated_on=day("terminated_on"),
        activity_dates=tuple(date.fromisoformat(d) for d in v["activity_dates"]),
        signed_by=ref_of(v["signed_by"]) if refs else None,
        activities=tuple(r for a in v["activities"] if (r := ref_of(a)) is not None)
        if refs else (),
        last_event=ref_of(v["last_event"]) if refs else None,
        priority=v.get("priority"),
        mapping_item_id=UUID(v["mapping_item_id"]) if v.get("mapping_item_id") else None,
        value_cash=v.get("value_cash"), value_in_kind=v.get("value_in_kind"),
        revenues=revenues_of(v.get("revenues") or None, refs),
        partner_id=UUID(v["partner_id"]) if v.get("partner_id") else None,
        partner=PartnerSnapshot(*v["partner"]) if v.get("partner") else None)

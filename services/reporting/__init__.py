"""Reporting: KPI projections of the agreement events, kpi.updated, rebuild
(docs/domain.md#kpi-formulas, #http-interface)."""

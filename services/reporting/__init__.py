"""Reporting: KPI projections of the agreement events, kpi.updated, rebuild (DESIGN §1, §8)."""

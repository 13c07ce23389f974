"""Prometheus metrics of the reporting service, the KPI figures as gauges among them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import REGISTRY, CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.reporting.domain import Figure

REFRESH_SECONDS = Histogram(
    "kerjasama_reporting_refresh_seconds",
    "Time to refresh the time-dependent figures (sleeping, expiring) and the gauges.",
    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10))
LABELS = ("indicator", "year", "scope")


class KpiGauges(Collector):
    """The current figures as gauges labelled by indicator, year and scope.

    The refresher replaces the snapshot after reading the figures from the database, so
    a scrape never queries the database and every replica exports the same figures.
    """

    def __init__(self) -> None:
        self._figures: tuple[Figure, ...] = ()

    def replace(self, figures: Iterable[Figure]) -> None:
        """Export these figures from now on."""
        self._figures = tuple(figures)

    def collect(self) -> Iterator[Metric]:
        """One family per measure; a figure without that measure (no target) is left out."""
        families = {
            "value": GaugeMetricFamily("kerjasama_kpi_value", "A KPI figure's value: the "
                                       "percentage, the count or the days.", labels=LABELS),
            "numerator": GaugeMetricFamily("kerjasama_kpi_numerator", "A KPI figure's "
                                           "numerator (or count).", labels=LABELS),
            "denominator": GaugeMetricFamily("kerjasama_kpi_denominator", "A KPI figure's "
                                             "denominator.", labels=LABELS),
            "target": GaugeMetricFamily("kerjasama_kpi_target", "The target of the year's "
                                        "work program, in percent.", labels=LABELS),
            "achievement": GaugeMetricFamily("kerjasama_kpi_achievement", "Value over "
                                             "target x 100 (capaian).", labels=LABELS),
        }
        for figure in self._figures:
            labels = [figure.key.indicator.value, str(figure.key.year), figure.key.scope]
            measures: Sequence[tuple[str, float | int | None]] = (
                ("value", figure.value), ("numerator", figure.numerator),
                ("denominator", figure.denominator), ("target", figure.target),
                ("achievement", figure.achievement))
            for name, measure in measures:
                if measure is not None:
                    families[name].add_metric(labels, float(measure))
        yield from families.values()

    def describe(self) -> Iterator[Metric]:
        """Nothing to describe ahead (avoids a collect at registration)."""
        return iter(())


KPI_GAUGES = KpiGauges()


def register(registry: CollectorRegistry = REGISTRY) -> None:
    """Register the KPI gauges once per registry."""
    try:
        registry.register(KPI_GAUGES)
    except ValueError:
        pass  # already registered (a second app in the same process)

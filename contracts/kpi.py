"""The ``kpi.updated`` message of the reporting service (docs/domain.md#messages,
#http-interface)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.common import BusinessYear, RecordModel


class Indicator(StrEnum):
    """The figures the reporting service keeps per year and scope."""

    REALIZATION = "realization"
    EFFECTIVENESS = "effectiveness"
    SLEEPING = "sleeping"
    EXPIRING_90_DAYS = "expiring_90_days"
    AGREEMENTS = "agreements"
    SIGNING_DAYS_MEDIAN = "signing_days_median"
    SIGNING_DAYS_P90 = "signing_days_p90"
    ITEMS_MAPPED = "items_mapped"
    ITEMS_MAPPED_REALISED = "items_mapped_realised"
    VALUE_CASH = "value_cash"
    VALUE_IN_KIND = "value_in_kind"
    REVENUE = "revenue"


AMOUNT_INDICATORS = frozenset({Indicator.VALUE_CASH, Indicator.VALUE_IN_KIND,
                               Indicator.REVENUE})
"""Figures that are sums of whole rupiah (numerator; denominator null)."""
PARTNER_INDICATORS = frozenset({Indicator.AGREEMENTS, Indicator.VALUE_CASH,
                                Indicator.VALUE_IN_KIND, Indicator.REVENUE})
"""Figures also kept per partner (scope ``partner:<id>``): counts and sums, which add up
over a partner's agreements; ratios of one partner's few agreements say little."""
MAPPING_INDICATORS = frozenset({Indicator.ITEMS_MAPPED, Indicator.ITEMS_MAPPED_REALISED})
"""Figures that count the items of the year's cooperation mapping."""


class Period(StrEnum):
    """What a figure of year Y is about, so that a table can say it (docs/domain.md#kpi-formulas).

    - ``YEAR``: counted over the year, from what is dated in it: realization (the plan of
      Y and the signings in Y), effectiveness (in force and followed up during Y), the
      agreements proposed in Y, the signing days of the agreements signed in Y, the
      values of the signings and the revenue of the follow-ups dated in Y. For the
      current year: from 1 January so far.
    - ``DAY``: a count on one day, not over the year: ``sleeping`` and
      ``expiring_90_days`` are taken on 31 December of Y, or on the day asked about when
      that is earlier, which is today for the current year (:func:`day_taken`). A past
      year's figure is its last day's, not today's.
    - ``STANDING``: the year's agreements or mapping items as they stand at the point
      asked about (today unless a day or a position is asked for): ``agreements`` by
      ``stage:`` (the stage each agreement proposed in Y is in now), ``items_mapped`` (the
      year's items not withdrawn) and ``items_mapped_realised`` (those named by an
      agreement signed in any year, so it still grows after Y).
    """

    YEAR = "year"
    DAY = "day"
    STANDING = "standing"


DAY_INDICATORS = frozenset({Indicator.SLEEPING, Indicator.EXPIRING_90_DAYS})
"""Figures of one day (:attr:`Period.DAY`)."""


def period_of(indicator: str, scope: str) -> Period:
    """What the figure ``indicator`` in ``scope`` is about (:class:`Period`)."""
    if indicator in DAY_INDICATORS:
        return Period.DAY
    if indicator in MAPPING_INDICATORS or (indicator == Indicator.AGREEMENTS
                                           and scope.startswith("stage:")):
        return Period.STANDING
    return Period.YEAR


def day_taken(year: int, day: date) -> date:
    """The day on which the figures of one day (:data:`DAY_INDICATORS`) of ``year`` are
    taken when the figures are asked for on ``day`` (today, or the day asked about): 31
    December of the year, or ``day`` when earlier."""
    return min(day, date(year, 12, 31))


SCOPE_PATTERN = (
    r"^(province|opd:[A-Z0-9_-]+|kind:(KSDD|KSDPK|KSDPL|KSDLL|SINERGI)"
    r"|type:(LOI|MOU|PKS|ADDENDUM)|stage:[A-Z_]+|priority:[A-Z0-9_-]+"
    r"|category:[A-Z_]+|partner:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


class CheckpointRef(RecordModel):
    """The signed ledger checkpoint a figure can be checked against."""

    position: int = Field(ge=1, description="Position of the last event the checkpoint "
                          "covers.", examples=[1200])
    head: str = Field(pattern="^[0-9a-f]{64}$", description="The running hash of the feed "
                      "at that position, as signed (`hash` of GET /checkpoints).",
                      examples=["5b0c3f" + "0" * 58])


class KpiUpdated(RecordModel):
    """A figure changed: its numerator, denominator, target or completeness."""

    event_type: ClassVar[str] = "kerjasama.kpi.updated.v1"
    indicator: Indicator = Field(description="Which figure.", examples=[Indicator.REALIZATION])
    year: BusinessYear = Field(description="Year of the figure.", examples=[2021])
    scope: str = Field(pattern=SCOPE_PATTERN, description="province, opd:<code>, kind:<KIND>, "
                       "type:<DOCTYPE>, stage:<STAGE>, priority:<code>, "
                       "category:<PARTNER_CATEGORY> "
                       "or partner:<id>.", examples=["province"])
    numerator: int | float = Field(description="Numerator (or the count, the days, "
                                   "the whole rupiah).",
                                   examples=[53])
    denominator: int | None = Field(description="Denominator; null for counts.",
                                    examples=[63])
    value: float | None = Field(description="Percentage rounded half up to 2 decimals, or "
                                "the count; null when the denominator is 0.", examples=[84.13])
    target: float | None = Field(description="Target of the year's work program, or null.",
                                 examples=[80])
    achievement: float | None = Field(description="value / target x 100, rounded half up to "
                                      "2 decimals, or null.", examples=[105.16])
    as_of_position: int = Field(ge=0, description="Highest applied position of the feed.",
                                examples=[1234])
    revision: int = Field(ge=1, description="Per figure, increasing.", examples=[7])
    complete: bool = Field(default=True, description="False while an event of an agreement "
                           "(or work program) this figure's scope touches is parked: the "
                           "figure may leave that agreement out.", examples=[True])
    restated: bool = Field(default=False, description="This revision was recorded after "
                           "its year had ended and an earlier revision of the figure exists: "
                           "it restates a figure that may have been reported.",
                           examples=[False])
    previous_value: float | None = Field(default=None, description="The value of the "
                                         "previous revision (null for the first, or when it "
                                         "had none).", examples=[80.0])
    checkpoint: CheckpointRef | None = Field(default=None, description="The last signed "
                                             "checkpoint at or below as_of_position, when "
                                             "one is known: verify the feed up to it, then "
                                             "recompute the figure.",
                                             examples=[{"position": 1200,
                                                        "head": "5b0c3f" + "0" * 58}])


def kpi_routing_key(data: KpiUpdated) -> str:
    """Routing key on ``kerjasama.kpi``: ``kpi.<indicator>.<year>.<scope>``."""
    return f"kpi.{data.indicator.value}.{data.year}.{data.scope}"


def kpi_subject(data: KpiUpdated) -> str:
    """CloudEvent subject: ``<indicator>/<year>/<scope>``."""
    return f"{data.indicator.value}/{data.year}/{data.scope}"

"""Pure KPI rules of the reporting service: facts, contributions, time-dependent figures."""

from services.reporting.domain.contributions import contributions, difference, scopes
from services.reporting.domain.facts import AgreementFacts, EventBeforeProposal, evolve
from services.reporting.domain.figures import (
    RATIO_INDICATORS,
    Figure,
    FigureKey,
    achievement,
    percent,
    zero,
)
from services.reporting.domain.signing import median, p90, signing_days, signing_figures
from services.reporting.domain.timely import (
    SleepingDocument,
    as_of,
    expiring,
    sleeping,
    timely_figures,
)

__all__ = [
    "RATIO_INDICATORS", "AgreementFacts", "EventBeforeProposal", "Figure", "FigureKey",
    "SleepingDocument", "achievement", "as_of", "contributions", "difference", "evolve",
    "expiring", "median", "p90", "percent", "scopes", "signing_days", "signing_figures",
    "sleeping", "timely_figures", "zero",
]

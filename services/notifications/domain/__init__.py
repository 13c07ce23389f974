"""Pure rules of the notifications service: the agreement view, event and time rules."""

from services.notifications.domain.agreement import (
    AgreementView,
    PlannedMilestone,
    UnknownAgreement,
    evolve,
)
from services.notifications.domain.rules import (
    Audience,
    Notice,
    Policy,
    Rule,
    event_notices,
    plan_due_on,
)
from services.notifications.domain.schedule import due_reminders, semester_of

__all__ = [
    "AgreementView", "Audience", "Notice", "PlannedMilestone", "Policy", "Rule",
    "UnknownAgreement", "due_reminders", "event_notices", "evolve", "plan_due_on",
    "semester_of",
]

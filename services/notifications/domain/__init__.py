"""Pure rules of the notifications service: the agreement view, event and time rules, the
mapping reminder."""

from services.notifications.domain.agreement import (
    AgreementView,
    PlannedMilestone,
    UnknownAgreement,
    evolve,
)
from services.notifications.domain.digest import digest_occasion, late_entries_digest
from services.notifications.domain.lateness import old_history
from services.notifications.domain.mapping import MappingDue, adopted, mapping_reminders
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
    "AgreementView", "Audience", "MappingDue", "Notice", "PlannedMilestone", "Policy", "Rule",
    "UnknownAgreement", "adopted", "digest_occasion", "due_reminders", "event_notices",
    "evolve", "late_entries_digest", "mapping_reminders", "old_history", "plan_due_on",
    "semester_of",
]

"""The agreement lifecycle as deciders: pure rules, no I/O.

``decide(command, state, ctx)`` answers a command with events (or raises a
:class:`DomainError`); ``evolve(state, event)`` folds an event into the state.
:data:`AGREEMENTS` and :data:`WORK_PROGRAMS` are the two deciders the service layer runs;
:data:`ACTIONS` is the one table of the agreement's actions.
"""

from services.agreements.domain.actions import ACTIONS, Action, Route, action_of
from services.agreements.domain.context import DecisionContext
from services.agreements.domain.decider import AGREEMENTS, Decider, decide
from services.agreements.domain.errors import (
    AgreementAlreadyExists,
    AgreementNotFound,
    ApprovalAlreadyGranted,
    ApprovalNotRequired,
    CountryMismatch,
    DomainError,
    DuplicateMilestone,
    Forbidden,
    InvalidDates,
    KindCategoryMismatch,
    MilestoneAlreadyCompleted,
    NotYetExpired,
    ParentNotAllowed,
    ParentNotFound,
    ParentNotSigned,
    ParentRequired,
    SignatoryNotAllowed,
    StageConflict,
    UnknownMilestone,
    ValidityTooLong,
)
from services.agreements.domain.evolve import evolve, replay
from services.agreements.domain.permissions import authorize, authorize_reading
from services.agreements.domain.rules import add_years, required_approvals
from services.agreements.domain.sleeping import SLEEPING_AFTER_DAYS, is_sleeping, last_activity_on
from services.agreements.domain.state import (
    AgreementState,
    ArchivedDocument,
    Evaluation,
    PlannedMilestone,
)
from services.agreements.domain.work_program import (
    WORK_PROGRAMS,
    WorkProgramState,
    decide_work_program,
    evolve_work_program,
    work_program_stream_id,
)

__all__ = [
    "ACTIONS",
    "AGREEMENTS",
    "SLEEPING_AFTER_DAYS",
    "WORK_PROGRAMS",
    "Action",
    "AgreementAlreadyExists",
    "AgreementNotFound",
    "AgreementState",
    "ApprovalAlreadyGranted",
    "ApprovalNotRequired",
    "ArchivedDocument",
    "CountryMismatch",
    "Decider",
    "DecisionContext",
    "DomainError",
    "DuplicateMilestone",
    "Evaluation",
    "Forbidden",
    "InvalidDates",
    "KindCategoryMismatch",
    "MilestoneAlreadyCompleted",
    "NotYetExpired",
    "ParentNotAllowed",
    "ParentNotFound",
    "ParentNotSigned",
    "ParentRequired",
    "PlannedMilestone",
    "Route",
    "SignatoryNotAllowed",
    "StageConflict",
    "UnknownMilestone",
    "ValidityTooLong",
    "WorkProgramState",
    "action_of",
    "add_years",
    "authorize",
    "authorize_reading",
    "decide",
    "decide_work_program",
    "evolve",
    "evolve_work_program",
    "is_sleeping",
    "last_activity_on",
    "replay",
    "required_approvals",
    "work_program_stream_id",
]

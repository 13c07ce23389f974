"""Who acts, and over what the figures are cut: the shared vocabulary of roles and scopes.

Roles come in bearer tokens (``roles``) and, for AMQP commands, from the broker user's
configured roles (docs/domain.md#permissions). Scopes name the cut of a KPI figure
(docs/domain.md#kpi-formulas).
"""

from __future__ import annotations

SECRETARIAT = "tkksd"
"""The TKKSD secretariat."""
REGIONAL_SECRETARY = "sekda"
"""The regional secretary (Sekda)."""
GOVERNOR_OFFICE = "governor"
REPORTING = "reporting"
"""A reader of the figures (the reporting service's clients)."""
OPERATOR = "operator"
"""Operations staff: parked streams, dead letters, rebuilds."""
EXPIRY_JOB = "system:expiry"
"""The actor of the expiry job."""
PARTNER_ADOPTION_JOB = "system:partners"
"""The actor of the job that registers the partners of agreements proposed before the
registry (docs/domain.md#partners)."""
AGENCY_PREFIX = "opd:"
"""``opd:<CODE>``: staff of one agency (perangkat daerah)."""


def agency_role(code: str) -> str:
    """The role of an agency's staff."""
    return f"{AGENCY_PREFIX}{code}"


def agency_of(role: str) -> str | None:
    """The agency code of an agency role, else None."""
    return role.removeprefix(AGENCY_PREFIX) if role.startswith(AGENCY_PREFIX) else None


PROVINCE = "province"
"""The scope of the whole province."""


def agency_scope(code: str) -> str:
    """``opd:<code>``: the figures of one lead agency."""
    return f"opd:{code}"


def kind_scope(kind: str) -> str:
    """``kind:<KIND>``."""
    return f"kind:{kind}"


def type_scope(document_type: str) -> str:
    """``type:<DOCTYPE>``."""
    return f"type:{document_type}"


def stage_scope(stage: str) -> str:
    """``stage:<STAGE>`` (the agreements count only)."""
    return f"stage:{stage}"


def priority_scope(code: str) -> str:
    """``priority:<code>``: the figures of one policy priority of the year."""
    return f"priority:{code}"


def category_scope(category: str) -> str:
    """``category:<PARTNER_CATEGORY>``: the figures of the agreements whose partner (as
    proposed) is of that category."""
    return f"category:{category}"


def partner_scope(partner_id: object) -> str:
    """``partner:<id>``: the counts and sums of one registered partner (a merged partner's
    agreements count for the partner it was merged into)."""
    return f"partner:{partner_id}"

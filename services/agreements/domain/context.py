"""What a decision needs to know besides the command and the agreement's own state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.agreements.domain.state import AgreementState


@dataclass(frozen=True)
class DecisionContext:
    """Today's business date (WIB) and, for a PKS or ADDENDUM, the parent agreement.

    The service layer loads the parent named by the command's or the state's
    ``parent_id`` before deciding; ``None`` means it does not exist (or none is named).
    """

    today: date
    parent: AgreementState | None = None
    require_signed_text: bool = False
    """Whether signing needs the signed text attached first (KERJASAMA_REQUIRE_SIGNED_TEXT)."""

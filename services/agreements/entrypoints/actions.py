"""The HTTP actions of docs/domain.md#http-interface and the command each one becomes."""

from __future__ import annotations

from dataclasses import dataclass

from contracts import commands as c
from contracts.common import ContractModel


@dataclass(frozen=True)
class Action:
    """``POST /agreements/{id}/<path>``: its body model and its command."""

    path: str
    body: type[ContractModel]
    command: type[c.AgreementCommand]
    body_required: bool = True
    summary: str = ""


ACTIONS: tuple[Action, ...] = (
    Action("review", c.NoteBody, c.StartReview, False, "Start the review (penelaahan)"),
    Action("request-revision", c.ReasonBody, c.RequestRevision, True, "Ask for a revision"),
    Action("resubmit", c.NoteBody, c.ResubmitAgreement, False, "Resubmit after revision"),
    Action("reject", c.ReasonBody, c.RejectAgreement, True, "Reject the proposal"),
    Action("withdraw", c.OptionalReasonBody, c.WithdrawAgreement, False,
           "Withdraw before signing"),
    Action("draft", c.DraftBody, c.DraftAgreement, True, "Record a draft (penyusunan naskah)"),
    Action("discuss", c.DiscussBody, c.DiscussAgreement, True,
           "Record a discussion (pembahasan naskah)"),
    Action("approve", c.ApproveBody, c.ApproveAgreement, True,
           "Record one required approval"),
    Action("sign", c.SignBody, c.SignAgreement, True, "Record the signing"),
    Action("plan", c.PlanBody, c.SetFollowUpPlan, True, "Set or replace the follow-up plan"),
    Action("follow-ups", c.FollowUpBody, c.RecordFollowUp, True,
           "Record a follow-up activity"),
    Action("evaluate", c.EvaluateBody, c.EvaluateAgreement, True,
           "Record an evaluation (monev)"),
    Action("terminate", c.TerminateBody, c.TerminateAgreement, True, "Terminate"),
    Action("expire", c.ExpireBody, c.ExpireAgreement, False,
           "Record expiry after effective_until"),
)

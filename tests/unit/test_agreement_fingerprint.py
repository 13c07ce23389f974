"""A command's fingerprint (what tells a retry from a reused Idempotency-Key) does not move
when a release adds optional fields: a retry of a command accepted before the upgrade still
answers its first result (docs/domain.md#http-interface)."""

from __future__ import annotations

from uuid import UUID

from contracts.commands import AdoptWorkProgram, ProposeAgreement, RecordFollowUp
from services.agreements.application.service import request_hash

PROPOSAL = ProposeAgreement(
    command_id="k", title="Galeri UMKM", kind="KSDPK", document_type="PKS",
    partner={"name": "blibli.com", "category": "THIRD_PARTY", "country": "ID"},
    lead_opd="DISKUK", objective="Pemasaran", sector="Ekonomi", burdens_budget=False,
    plan_year=2021, proposed_on="2021-01-11")
PROGRAM = AdoptWorkProgram(command_id="k", year=2021, realization_target=80,
                           effectiveness_target=60)
FOLLOW_UP = RecordFollowUp(command_id="k", agreement_id=UUID(int=1), on="2021-05-10",
                           summary="Rapat")

# the fingerprints the release before the planning side gave these commands
EARLIER = (
    (PROPOSAL, "f58760c0fa00b517580eeb451c5a1c86a0f414b9eec881201f5a701086cab072"),
    (PROGRAM, "9c01eee4c39733578a251b67452ccba4d8994d315d12cef5c9618c76113f119b"),
    (FOLLOW_UP, "5e24936ee22c3b8ad21ae58ffa42d43487e199b16197e185305189b15950d9e1"),
)


def test_a_command_without_the_later_fields_keeps_its_earlier_fingerprint() -> None:
    for command, earlier in EARLIER:
        assert request_hash(command) == earlier, type(command).__name__


def test_a_later_field_that_is_set_changes_the_fingerprint() -> None:
    for command, changes in ((PROPOSAL, {"value_cash": 5}), (PROPOSAL, {"priority": "A"}),
                             (PROGRAM, {"priorities": [{"code": "A", "name": "A"}]}),
                             (PROGRAM, {"mapping_due_on": "2021-03-31"}),
                             (FOLLOW_UP, {"revenue": 0})):
        changed = type(command).model_validate({**command.model_dump(), **changes})
        assert request_hash(changed) != request_hash(command), changes

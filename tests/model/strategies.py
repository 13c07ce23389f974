"""The Hypothesis strategies of the model-based test (choices at and beyond the edges) and
small helpers of its state machine.

Each strategy draws the usual, valid inputs three times in four and the edges otherwise
(:func:`mostly`), so that lifecycles get far while every edge is still tried.
"""

from __future__ import annotations

import functools
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar
from uuid import uuid4

from hypothesis import strategies as st

from tests.model.archive import CONTENTS, FLAWS, SUPERSEDES, Upload
from tests.model.archive import KINDS as DOCUMENT_KIND_NAMES
from tests.model.callers import CALLERS, TESTER, Caller
from tests.model.expect import (
    AUTHORITIES,
    BEFORE_SIGNING,
    FOLLOW_UP_MILESTONES,
    MILESTONE_PATHS,
    RECORDING,
    ROLES,
    SIGNATORIES,
    Choices,
    Local,
)
from tests.model.inputs import LONG_TEXTS, SHORT_TEXTS, START, UNTIL, WHEN

EDGES = os.environ.get("KERJASAMA_MODEL_EDGES", "1") != "0"
"""``KERJASAMA_MODEL_EDGES=0`` draws only inputs inside the contract (to look at the
oracle's comparisons apart from the contract's edges)."""
KINDS = ("KSDPK", "KSDD", "KSDPL", "KSDLL", "SINERGI")
DOCUMENT_TYPES = ("MOU", "PKS", "LOI", "ADDENDUM")
PROPOSED_ON = (None, "2019-03-15", "2020-07-01", "2021-11-30", "2022-02-28", "2023-12-31")
PROPOSED_ON_EDGES = ("1980-01-01", "1979-12-31", "2099-12-31", "2100-01-01", "0001-01-01")
YEARS = (2021, 2022, 2023, 2024, 2020, 2019)
YEAR_EDGES = (1980, 1979, 1999, 2099, 2100, 0)
KEYS = ("fresh", "none", "refused")


def mostly(usual: Any, everything: Any) -> st.SearchStrategy[Any]:
    """Three times in four one of ``usual``, else anything of ``everything``."""
    if not EDGES:
        return st.sampled_from(usual)
    return st.one_of(*[st.sampled_from(usual)] * 3, st.sampled_from(everything))


OK_SHORT = mostly([t for t in SHORT_TEXTS if t.ok], SHORT_TEXTS)
OK_LONG = mostly([t for t in LONG_TEXTS if t.ok and t.stored is None], LONG_TEXTS)
CHOICES = st.builds(Choices, when=mostly(WHEN[:3] * 3 + WHEN[3:5], WHEN),
                    start=mostly(START[:3], START), until=mostly(UNTIL[:5], UNTIL),
                    short=OK_SHORT, long=OK_LONG,
                    variant=st.integers(0, 20), with_body=st.booleans())



def changed(body: dict[str, Any] | None, path: str, today: date) -> dict[str, Any]:
    """Another request body on the same path."""
    if body is None:
        return {"reason": "lain"} if path.endswith(("/withdraw", "/unpublish")) else (
            {"on": today.isoformat()} if path.endswith("/expire") else {"note": "lain"})
    for name in ("title", "reason", "note", "summary", "number", "affair", "name"):
        if isinstance(body.get(name), str):
            return body | {name: body[name] + " (lain)"}
    if "into" in body:
        return {"into": str(uuid4())}
    if "realization_target" in body:
        return body | {"realization_target": 50 if body["realization_target"] != 50 else 51}
    if "milestones" in body:
        return body | {"milestones": [m | {"title": "lain"} for m in body["milestones"]]}
    return body | {k: "2020-01-01" if v != "2020-01-01" else "2020-01-02"
                   for k, v in body.items() if k in ("on", "approved_on")}


def next_step(a: Local, rng: random.Random, agreements: dict[str, Local],
              today: date) -> tuple[str, Choices] | None:
    """The next action of a lifecycle that goes well, with valid inputs (None: nothing)."""
    c = Choices(when=rng.choice(("low", "mid", "today")),
                start=rng.choice(("signed", "later", "earlier")),
                until=rng.choice(("year", "short", "max")),
                short=rng.choice([t for t in SHORT_TEXTS if t.ok]),
                long=rng.choice([t for t in LONG_TEXTS if t.ok]), with_body=rng.random() < 0.5)
    stage = a.stage
    if stage in BEFORE_SIGNING and rng.random() < 0.01:
        return "withdraw", c  # now and then a proposal is withdrawn
    if stage in ("PROPOSED", "REVISION_REQUESTED"):
        return ("review" if stage == "PROPOSED" else "resubmit"), c
    if stage == "IN_REVIEW":
        return rng.choice(("draft",) * 6 + ("request-revision", "request-revision", "reject")), c
    if stage in ("DRAFTING", "IN_DISCUSSION"):
        return "discuss", replace(c, variant=rng.choice((0, 0, 0, 1)))  # mostly AGREED
    if stage == "AWAITING_APPROVAL":
        return "approve", replace(c, variant=AUTHORITIES.index(min(a.required - a.granted)))
    if stage == "READY_TO_SIGN":
        parent = agreements.get(a.parent_id) if a.parent_id else None
        if parent is not None and parent.stage != "SIGNED":
            return None
        roles = [r for r in ROLES if all(r in SIGNATORIES[cat] for cat in a.categories)]
        return "sign", replace(c, variant=ROLES.index(rng.choice(roles)))
    if stage not in RECORDING:
        return None
    open_ids = [m for m, done in a.milestones.items() if done is None]
    options = ["follow-ups", "follow-ups", "evaluate"] + ["complete"] * bool(open_ids)
    if stage == "SIGNED":
        options += ["plan"] * (not a.milestones)
        if rng.random() < 0.15:  # the end, now and then
            ended = a.effective_until is not None and a.effective_until < today
            options = ["expire" if ended else "terminate"]
    else:
        c = replace(c, when="low")  # late records dated inside the in-force period
    action = rng.choice(options)
    if action == "complete":
        return action, replace(c, variant=MILESTONE_PATHS.index(rng.choice(open_ids)))
    if action == "follow-ups":
        ids = [None, *a.milestones]
        return action, replace(c, variant=FOLLOW_UP_MILESTONES.index(rng.choice(ids)))
    if action in ("terminate", "expire"):
        return action, replace(c, when="low")
    return action, replace(c, variant=rng.choice((0, 1, 4)) if action == "plan" else 0)


def next_document(a: Local, rng: random.Random) -> tuple[str, bool, str | None, str, str] | None:
    """Now and then, the document a lifecycle that goes well files at its stage: drafts,
    minutes and the study before cooperation until the signing; from the signing on, the
    signed text (soon after the signing; later, now and then a new version of it),
    evaluations, the study after cooperation and others. (kind, public, supersedes,
    content, caller); filed by the TKKSD or the lead agency."""
    signed_text = any(d.kind == "SIGNED" for d in a.documents.values())
    if a.stage in RECORDING and not signed_text and rng.random() < 0.5:
        kind = "SIGNED"
    elif rng.random() < 0.1 and a.stage not in ("REJECTED", "WITHDRAWN"):
        kind = rng.choice(("SIGNED", "EVALUATION", "STUDY_POST", "OTHER") if a.stage
                          in RECORDING else ("DRAFT", "MINUTES", "STUDY_PRE"))
    else:
        return None
    supersedes = "current" if kind == "SIGNED" or rng.random() < 0.5 else None
    return (kind, rng.random() < 0.5, supersedes, rng.choice(CONTENTS),
            rng.choice(("tkksd", "lead")))


F = TypeVar("F", bound=Callable[..., Any])


def guarded(step: F) -> F:
    """A rule that marks the example failed while it runs (the teardown then only catches
    up instead of checking: the step's own failure is the one to report)."""
    @functools.wraps(step)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.failed = True
        result = step(self, *args, **kwargs)
        self.failed = False
        return result

    return run  # type: ignore[return-value]


@dataclass
class Sent:
    """An accepted request with an Idempotency-Key, and its answer."""

    path: str
    body: dict[str, Any] | None
    key: str
    status: int
    answer: dict[str, Any]
    made: Local | None = None
    """The agreement a proposal made, as proposed."""
    caller: Caller = TESTER
    upload: Upload | None = None
    """The form and file of an upload (``body`` is None then)."""
    method: str = "POST"


DOCUMENT_KINDS = st.sampled_from(("SIGNED", "SIGNED", *DOCUMENT_KIND_NAMES))
"""Kinds of document, the signed text more often (a second one on a signed agreement)."""
UPLOADS = st.one_of(*[st.sampled_from(CONTENTS)] * 5, st.sampled_from(FLAWS)) if EDGES \
    else st.sampled_from(CONTENTS)
"""Files of the archive's types five times in six, else one at or beyond an edge."""
SUPERSEDING = mostly([None, None, "current", "old"], (None, *SUPERSEDES))
UPLOAD_TARGETS = mostly(("drawn", "drawn", "signed"), ("drawn", "signed", "unknown"))
"""To which agreement a document is uploaded: the one drawn; a signed one that has its
signed text (the upload then a signed text too); or none that exists."""
ARCHIVE_CALLERS = st.sampled_from(("tkksd",) * 3 + ("lead",) * 3 + ("supporting", "other",
                                                                    "sekda"))
"""Callers of the archive: every one of its permissions (lead, supporting, other agency,
regional secretary, TKKSD) is tried."""
ACT_CALLERS = st.sampled_from(("tkksd",) * 6 + tuple(c for c in CALLERS if c != "tkksd"))
"""Callers of the lifecycle's actions: mostly the TKKSD, now and then an agency or the
regional secretary (who may only do some actions, on some agreements)."""
NAMINGS = mostly(("snapshot",) * 4 + ("spelling", "id", "id", "merged-id"),
                 ("misfit", "unknown-id", "both", "neither"))
"""How a proposal names its partner: by a snapshot (``spelling``: another spelling of the
name of a partner the registry holds), by the partner_id of an active partner that fits
the kind (``misfit``: one that does not), of a merged partner, of no partner; or by both or
neither (each falls back to the snapshot when the registry has no such partner)."""
REGISTERING = mostly(("fresh", "fresh", "spelling", "other country"),
                     ("renamed", "merged", "bad", "longest"))
"""How a partner is registered: under a new name; another spelling of a registered
partner's name; its name in another country; the name a partner was registered with
before it was renamed; the name of a merged partner; a body the contract refuses; the
longest name with the most codes."""
REVISING = mostly(("same", "rename", "spelling"), ("collide", "merged name", "bad"))
"""How a partner is revised: its name kept (codes, contact and category anew), a new name,
its name spelt otherwise; the name of another active partner; of a merged one; a body the
contract refuses."""
TARGETS = mostly(("mine", "mine", "any"), ("merged", "unknown", "malformed"))
"""Which partner a command acts on: one the example registered or named, any active one,
a merged one, one the registry does not hold, an id that is no id."""
INTO = mostly(("mine", "mine", "any"), ("merged", "itself", "unknown", "malformed"))
"""Which partner a merge names to stay (as :data:`TARGETS`, or the partner itself)."""
REGISTRARS = mostly(("tkksd", "tkksd", "staff"), ("sekda",))
KEEPERS = mostly(("tkksd",), ("staff", "sekda"))
"""Callers of the registry's commands: the TKKSD keeps it, agency staff also register."""

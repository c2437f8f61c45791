"""The approval gate's own record of one goal run: the only approvals ARGO trusts.

Graph state is writable by clients (``Command(update=...)``, the server's
update-state call), so the gate keeps what it decided outside it, in a record
keyed by the run and written with compare-and-set on ``rev``:

- the plan and the policy as the gate first saw them (a looser policy later
  cannot release a step; a plan edited only in state is ignored);
- every decision (:class:`LedgerEntry`), made by this gate;
- which interrupt is open (``open_round``, the gate task's checkpoint
  namespace) and which resume value answered each one (``answered``), so two
  concurrent resumes of one pause cannot both act, and a node re-executed after
  a crash does not apply its answer twice;
- once nothing is pending, the steps it cleared, each with the hash of the
  step as approved: the executor runs only those (``cleared``), and only until
  the run is closed after its outcome is written.
"""

from __future__ import annotations

import hashlib
from typing import Literal, TypeVar

import orjson
from pydantic import BaseModel, Field

from argo_agents.approval.decisions import LedgerEntry
from argo_agents.approval.policy import ApprovalPolicy
from argo_agents.planning.models import ExecutionPlan, PlanStep, dependents_closure
from argo_agents.stores.ports import RecordPort

RecordStatus = Literal["deciding", "cleared", "closed"]


def digest(value: object) -> str:
    """SHA-256 of the canonical JSON of ``value`` (sorted keys)."""
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def step_digest(step: PlanStep) -> str:
    """The hash a cleared step must still have when it runs."""
    return digest(step.model_dump(mode="json"))


class RevisedRecord(BaseModel):
    """A record in Redis written by compare-and-set; ``rev`` is the revision it was read at."""

    rev: int = 0


Revised = TypeVar("Revised", bound=RevisedRecord)


def load_revised(port: RecordPort, key: str, model: type[Revised]) -> Revised | None:
    """The record stored under ``key``, with its revision (None when there is none)."""
    found = port.get(key)
    if found is None:
        return None
    rev, doc = found
    return model.model_validate({**doc, "rev": rev})


def save_revised(
    port: RecordPort, key: str, record: Revised, *, what: str, ttl_s: int = 0
) -> Revised:
    """Write ``record`` over revision ``record.rev``; raise `RecordConflict` naming ``what``
    if another writer moved it since; the record at its new revision."""
    doc = record.model_dump(mode="json", exclude={"rev"})
    if not port.compare_and_set(key, record.rev, doc, ttl_s=ttl_s):
        raise RecordConflict(f"{what} changed meanwhile")
    return record.model_copy(update={"rev": record.rev + 1})


class ApprovalRecord(RevisedRecord):
    """Everything the gate decided for one goal run."""

    run_id: str
    thread_id: str
    goal: str
    goal_id: str
    plan: ExecutionPlan
    policy: ApprovalPolicy
    budget_usd: float | None = None
    ledger: list[LedgerEntry] = Field(default_factory=list)
    accepted_spend_usd: float | None = None
    """Spending the Director accepted over the goal budget (``allow_over_budget``)."""
    blocked: list[str] = Field(default_factory=list)
    """Steps that failed before the gate (no agent the run allows can take them): never
    asked about and never cleared, like a rejected step."""
    open_round: str | None = None
    answered: dict[str, str] = Field(default_factory=dict)
    """Interrupt round -> digest of the resume value that answered it."""
    status: RecordStatus = "deciding"
    cleared: dict[str, str] = Field(default_factory=dict)

    @property
    def decided(self) -> set[str]:
        """Steps with a settled decision."""
        return {e.step_id for e in self.ledger if e.settles}

    @property
    def rejected(self) -> set[str]:
        """Steps the Director rejected."""
        return {e.step_id for e in self.ledger if e.decision == "reject"}

    @property
    def skipped(self) -> set[str]:
        """Rejected and blocked steps and everything that depends on them: they will not run."""
        out = self.rejected | set(self.blocked)
        return out | dependents_closure(self.plan, out)

    def clearance(self) -> dict[str, str]:
        """Step id -> step hash for every step that may run now that nothing is pending."""
        return {s.id: step_digest(s) for s in self.plan.steps if s.id not in self.skipped}

    def may_run(self, step: PlanStep) -> bool:
        """Whether the executor may run ``step`` as it is now."""
        return self.status == "cleared" and self.cleared.get(step.id) == step_digest(step)


CLOSED_TTL_S = 30 * 24 * 3600
"""A closed record is kept this long (for `argo status` and audits), then expires."""


class RecordConflict(RuntimeError):
    """Another writer changed the record since it was read."""


def load_record(port: RecordPort, run_id: str) -> ApprovalRecord | None:
    """The gate's record of ``run_id``, or None when the gate never saw the run."""
    return load_revised(port, run_id, ApprovalRecord)


def save_record(port: RecordPort, record: ApprovalRecord) -> ApprovalRecord:
    """Write ``record`` over revision ``record.rev``; raise `RecordConflict` if it moved."""
    ttl = CLOSED_TTL_S if record.status == "closed" else 0
    what = f"the approval record of run {record.run_id}"
    return save_revised(port, record.run_id, record, what=what, ttl_s=ttl)

"""The approval gate: no gated step runs before the Director decides.

One `interrupt()` carries every pending approval. An invalid resume value
(unknown step, bad verdict, an approval over the goal budget without
`allow_over_budget`) is refused: the gate asks again with the error in the
payload, so the run stays paused. Decided steps are never asked twice.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from typing_extensions import TypedDict

from argo_agents.approval.budget import resolve_decisions
from argo_agents.approval.decisions import InvalidResumeError, allows_over_budget, parse_resume
from argo_agents.approval.policy import ApprovalPolicy, ApprovalRequest
from argo_agents.bootstrap import ServicesProvider
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.state import State
from argo_agents.planning.models import ExecutionPlan, dependents_closure


class ApprovalItem(TypedDict):
    """One step awaiting the Director (an item of the interrupt payload)."""

    step_id: str
    action: str
    category: str
    reason: str
    estimated_cost_usd: float
    description: str


class ApprovalInterrupt(TypedDict):
    """What the graph shows the Director when it pauses."""

    approvals: list[ApprovalItem]
    goal: str
    budget_usd: float | None
    approved_spend_usd: float
    error: NotRequired[str]


class ResumeValue(TypedDict):
    """What the Director sends back: a decision per step."""

    decisions: dict[str, Literal["approve", "reject"] | dict[str, dict[str, Any]]]
    director: NotRequired[str]
    reason: NotRequired[str]
    allow_over_budget: NotRequired[bool]


class _Ledger:
    """Decisions taken so far, and what they imply for the plan."""

    def __init__(self, entries: list[dict[str, Any]], plan: ExecutionPlan) -> None:
        self.entries = list(entries)
        self.plan = plan

    @property
    def decided(self) -> set[str]:
        return {e["step_id"] for e in self.entries if e.get("resolved", True)}

    @property
    def rejected(self) -> set[str]:
        return {e["step_id"] for e in self.entries if e["decision"] == "reject"}

    @property
    def skipped(self) -> set[str]:
        return self.rejected | dependents_closure(self.plan, self.rejected)

    @property
    def approved_spend(self) -> float:
        return sum(self.plan.step(e["step_id"]).estimated_cost_usd for e in self.entries
                   if e["decision"] in ("approve", "edit") and e.get("resolved", True))


def decide(value: Any, pending: list[ApprovalRequest], ledger: _Ledger, policy: ApprovalPolicy,
           budget: float | None, director: str | None) -> _Ledger:
    """Apply one resume value to a copy of the ledger; raise if it cannot be accepted.

    The rules (edits re-checked by the policy, the goal budget as a hard limit)
    are the approval package's `resolve_decisions`; this only keeps its record.
    """
    outcome = resolve_decisions(
        ledger.plan, parse_resume(value, pending, director=director), policy=policy,
        goal_budget_usd=budget, already_decided=ledger.decided,
        approved_spend_usd=ledger.approved_spend, skip=ledger.skipped,
        allow_over_budget=allows_over_budget(value))
    # an edited step that still needs approval is recorded but asked again
    entries = [{**e.model_dump(mode="json"), "resolved": e.step_id not in outcome.requeued}
               for e in outcome.ledger]
    return _Ledger(ledger.entries + entries, outcome.plan)


class ApprovalGate:
    """The `await_approval` node."""

    def __init__(self, services: ServicesProvider) -> None:
        self._services = services

    def await_approval(self, state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Ask the Director about every gated step at once; record each decision."""
        policy = self._services().policy
        threshold = runtime.context.budget_threshold_usd if runtime.context else None
        if threshold is not None:
            policy = policy.model_copy(update={"budget_threshold_usd": threshold})
        budget = state.get("budget_usd")
        before = list(state.get("approval_ledger") or [])
        ledger = _Ledger(before, ExecutionPlan.model_validate(state["plan"]))
        error: str | None = None
        while True:
            pending = policy.evaluate(
                ledger.plan, goal_budget_usd=budget, already_decided=ledger.decided,
                approved_spend_usd=ledger.approved_spend, skip=ledger.skipped)
            if not pending:
                break
            payload: dict[str, Any] = {
                "approvals": [r.model_dump(mode="json") for r in pending],
                "goal": state["goal"], "budget_usd": budget,
                "approved_spend_usd": round(ledger.approved_spend, 2)}
            if error:
                payload["error"] = error
            value: ResumeValue = interrupt(payload)
            try:
                ledger = decide(value, pending, ledger, policy, budget, state.get("director"))
                error = None
            except InvalidResumeError as exc:
                error = str(exc)  # ask again: the run stays paused with the reason shown
        skipped = ledger.skipped
        reasons = {sid: ("rejected by the Director" if sid in ledger.rejected
                         else "depends on a step the Director rejected") for sid in skipped}
        return {
            "plan": ledger.plan.model_dump(mode="json"),
            "approval_ledger": ledger.entries[len(before):],
            "pending_approvals": [],
            "step_status": {sid: "skipped" for sid in skipped},
            "errors": reasons,
            "status": "running",
        }

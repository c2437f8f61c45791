"""Keeping approved spending within the goal's budget, and settling a round of decisions.

The budget is a hard limit on the sum of approved estimated step costs
(auto-approved plus Director-approved). An approval that would cross it is
refused unless the resume value says ``"allow_over_budget": true``, so going
over budget is always an explicit, recorded choice of the Director.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pydantic import BaseModel

from argo_agents.approval.decisions import (
    Decision,
    InvalidResumeError,
    LedgerEntry,
    apply_edit,
)
from argo_agents.approval.policy import ApprovalPolicy, ApprovalRequest
from argo_agents.planning.models import ExecutionPlan, dependents_closure
from argo_agents.planning.validate import PlanValidationError


class BudgetGuard(BaseModel):
    """Refuses approvals that would take committed spending past the goal budget."""

    goal_budget_usd: float | None
    committed_usd: float = 0.0

    def check(self, costs: Mapping[str, float], *, allow_over_budget: bool = False) -> float:
        """The new committed total after approving ``costs`` (step id -> cost), or raise."""
        added = sum(costs.values())
        total = self.committed_usd + added
        if self.goal_budget_usd is not None and total > self.goal_budget_usd and costs:
            if not allow_over_budget:
                raise InvalidResumeError(
                    f"approving {sorted(costs)} (${added:.2f}) on top of "
                    f"${self.committed_usd:.2f} already committed would total ${total:.2f}, "
                    f"over the goal budget of ${self.goal_budget_usd:.2f}; reject a step, "
                    "edit its estimated_cost_usd down, or resume with "
                    '"allow_over_budget": true to accept the overspend'
                )
        return total


class ApprovalOutcome(BaseModel):
    """The plan and bookkeeping after one round of the Director's decisions."""

    plan: ExecutionPlan
    approved: list[str]
    rejected: list[str]
    requeued: list[str]
    """Edited steps that still need approval; they are in ``pending`` again."""
    skipped: list[str]
    """Steps that will not run because they depend on a rejected step."""
    pending: list[ApprovalRequest]
    ledger: list[LedgerEntry]
    approved_spend_usd: float
    """Director-approved spending so far (pass it back to the next round)."""


def resolve_decisions(
    plan: ExecutionPlan,
    decisions: list[Decision],
    *,
    policy: ApprovalPolicy,
    goal_budget_usd: float | None = None,
    already_decided: Collection[str] = (),
    approved_spend_usd: float = 0.0,
    skip: Collection[str] = (),
    allow_over_budget: bool = False,
) -> ApprovalOutcome:
    """Apply one round of decisions: edits, rejections, approvals, then the budget check.

    Raises :class:`InvalidResumeError` when an edit makes the plan invalid or
    the approvals break the budget; nothing is applied in that case, so the
    caller can ask again.
    """
    rejected = [d.step_id for d in decisions if d.verdict == "reject"]
    skipped = dependents_closure(plan, rejected) - set(rejected)
    requeued: list[str] = []
    approved: list[str] = []
    ledger: list[LedgerEntry] = []
    for d in decisions:
        if d.verdict == "edit":
            try:
                plan = apply_edit(plan, d.step_id, d.edits or {})
            except PlanValidationError as exc:
                raise InvalidResumeError(f"edit of step {d.step_id!r}: {exc}") from exc
            if still := policy.step_reasons(plan.step(d.step_id)):
                requeued.append(d.step_id)
                note = "edited; asked again: " + "; ".join(still)
            else:
                approved.append(d.step_id)
                note = "edited; approved with these changes"
            reason = f"{d.reason} ({note})" if d.reason else note
        else:
            if d.verdict == "approve":
                approved.append(d.step_id)
            reason = d.reason
        ledger.append(
            LedgerEntry(
                step_id=d.step_id,
                decision=d.verdict,
                by=d.by,
                at=d.at,
                reason=reason,
                estimated_cost_usd=plan.step(d.step_id).estimated_cost_usd,
                edits=d.edits,
            )
        )
    decided = {*already_decided, *approved, *rejected}
    not_running = {*skip, *rejected, *skipped}
    # Auto-approved spending of the steps nobody is asked about also counts.
    auto = policy.assess(
        plan,
        goal_budget_usd=goal_budget_usd,
        already_decided=decided,
        approved_spend_usd=approved_spend_usd,
        skip=not_running,
    )
    guard = BudgetGuard(
        goal_budget_usd=goal_budget_usd, committed_usd=approved_spend_usd + auto.auto_spend_usd
    )
    costs = {sid: plan.step(sid).estimated_cost_usd for sid in approved}
    guard.check(costs, allow_over_budget=allow_over_budget)
    spend = approved_spend_usd + sum(costs.values())
    return ApprovalOutcome(
        plan=plan,
        approved=approved,
        rejected=rejected,
        requeued=requeued,
        skipped=sorted(skipped),
        pending=policy.evaluate(
            plan,
            goal_budget_usd=goal_budget_usd,
            already_decided=decided,
            approved_spend_usd=spend,
            skip=not_running,
        ),
        ledger=ledger,
        approved_spend_usd=round(spend, 10),
    )

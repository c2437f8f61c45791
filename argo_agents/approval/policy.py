"""When ARGO must pause for the Director, and why (digest §3, DESIGN.md "Human approval").

ARGO decides technology, methods, resources and priorities on its own; it asks
the Director before any step in a gated category, any step over the budget
threshold, and any step that would take approved spending past the goal's
budget. The requests are the ``interrupt()`` payload, so each carries a reason
a person can act on.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel, Field

from argo_agents.planning.models import GATED_CATEGORIES, ExecutionPlan, PlanStep


class ApprovalRequest(BaseModel):
    """One step waiting for the Director's decision (an item of the interrupt payload)."""

    step_id: str
    action: str
    category: str
    reason: str = Field(description="Every reason approval is needed, joined with '; '.")
    estimated_cost_usd: float
    description: str = ""


class Assessment(BaseModel):
    """The policy's verdict on a plan: what to ask, and what runs without asking."""

    requests: list[ApprovalRequest]
    auto_approved: list[str] = Field(description="Undecided steps that need no approval.")
    auto_spend_usd: float = Field(description="Sum of the auto-approved steps' costs.")


class ApprovalPolicy(BaseModel):
    """Thresholds and gated categories; ``autonomous_decisions`` is documentation only."""

    budget_threshold_usd: float = Field(default=100.0, ge=0)
    gated_categories: frozenset[str] = GATED_CATEGORIES
    autonomous_decisions: list[str] = Field(
        default_factory=lambda: [
            "technology_stack_selection",
            "implementation_methodology",
            "resource_allocation",
            "task_prioritization",
        ]
    )

    def step_reasons(self, step: PlanStep) -> list[str]:
        """Why this step needs approval on its own (category, cost); empty if it does not."""
        reasons = []
        if step.category in self.gated_categories:
            label = step.category.replace("_", " ")
            reasons.append(f"{label} always needs the Director's approval")
        if step.estimated_cost_usd > self.budget_threshold_usd:
            reasons.append(
                f"estimated cost ${step.estimated_cost_usd:.2f} is over the "
                f"${self.budget_threshold_usd:.2f} approval threshold"
            )
        return reasons

    def assess(
        self,
        plan: ExecutionPlan,
        *,
        goal_budget_usd: float | None = None,
        already_decided: Collection[str] = (),
        approved_spend_usd: float = 0.0,
        skip: Collection[str] = (),
    ) -> Assessment:
        """Requests and auto-approvals for every undecided step, in plan order.

        ``approved_spend_usd`` is what the Director already approved (steps in
        ``already_decided``); auto-approved steps are not "decided" and are
        recounted on every call. A cheap, ungated step is auto-approved only
        while the running total stays within ``goal_budget_usd``; the first
        one that would exceed it is asked instead. ``skip`` holds steps that
        will not run (rejected, or depending on a rejected step): never asked,
        never counted.
        """
        committed = approved_spend_usd
        requests: list[ApprovalRequest] = []
        auto: list[str] = []
        for step in plan.steps:
            if step.id in already_decided or step.id in skip:
                continue
            reasons = self.step_reasons(step)
            total = committed + step.estimated_cost_usd
            if goal_budget_usd is not None and total > goal_budget_usd:
                reasons.append(
                    f"approving it would bring approved spending to ${total:.2f}, over the "
                    f"goal budget of ${goal_budget_usd:.2f} (${committed:.2f} already committed)"
                )
            if reasons:
                requests.append(
                    ApprovalRequest(
                        step_id=step.id,
                        action=step.action,
                        category=step.category,
                        reason="; ".join(reasons),
                        estimated_cost_usd=step.estimated_cost_usd,
                        description=step.description,
                    )
                )
            else:
                auto.append(step.id)
                committed = total
        return Assessment(
            requests=requests,
            auto_approved=auto,
            auto_spend_usd=round(committed - approved_spend_usd, 10),
        )

    def evaluate(
        self,
        plan: ExecutionPlan,
        *,
        goal_budget_usd: float | None = None,
        already_decided: Collection[str] = (),
        approved_spend_usd: float = 0.0,
        skip: Collection[str] = (),
    ) -> list[ApprovalRequest]:
        """The steps to ask the Director about (see :meth:`assess`)."""
        return self.assess(
            plan,
            goal_budget_usd=goal_budget_usd,
            already_decided=already_decided,
            approved_spend_usd=approved_spend_usd,
            skip=skip,
        ).requests

"""When ARGO must pause for the Director, and why (docs/approval-policy.md).

ARGO decides technology, methods, resources and priorities on its own; it asks
the Director before any step that touches a gated category (by the planner's
label *or* by ARGO's own classification, whichever is stricter), any step over
the per-step threshold, and the steps that take the plan's spending past its
limit (the goal budget, or the per-goal threshold when no budget is given).

A policy can only be tightened by what a caller controls: per-run settings
lower thresholds or add gated categories (:meth:`ApprovalPolicy.tightened`),
and a policy recorded when a run first paused is combined with the current one
by :meth:`ApprovalPolicy.strictest`, so a restart with looser settings cannot
release a paused step either.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from argo_agents.approval.budget import SpendLimit, plan_spend
from argo_agents.approval.classifier import SENSITIVE, Finding
from argo_agents.planning.models import CATEGORIES, GATED_CATEGORIES, ExecutionPlan, PlanStep


class ApprovalRequest(BaseModel):
    """One step waiting for the Director's decision (an item of the interrupt payload)."""

    step_id: str
    action: str
    category: str = Field(
        description="The strictest gated category the step touches, else the planner's label."
    )
    reason: str = Field(description="Every reason approval is needed, joined with '; '.")
    estimated_cost_usd: float
    description: str = ""


def _known_categories(value: Iterable[str]) -> frozenset[str]:
    values = frozenset(value)
    if unknown := sorted(values - set(CATEGORIES)):
        # fail closed: a typo in a gated category must not silently ungate it
        raise ValueError(f"unknown categories {unknown}; use any of {', '.join(CATEGORIES)}")
    return values


class ApprovalPolicy(BaseModel):
    """Thresholds and gated categories; ``autonomous_decisions`` is documentation only."""

    model_config = ConfigDict(frozen=True)

    budget_threshold_usd: float = Field(default=100.0, ge=0, allow_inf_nan=False)
    """A step costing more than this needs approval."""
    plan_threshold_usd: float = Field(default=500.0, ge=0, allow_inf_nan=False)
    """Without a goal budget, the steps that take the plan's total past this need approval."""
    gated_categories: frozenset[str] = GATED_CATEGORIES
    autonomous_decisions: tuple[str, ...] = (
        "technology_stack_selection",
        "implementation_methodology",
        "resource_allocation",
        "task_prioritization",
    )

    @field_validator("gated_categories", mode="before")
    @classmethod
    def _valid_categories(cls, value: Iterable[str]) -> frozenset[str]:
        return _known_categories(value)

    def tightened(
        self,
        *,
        budget_threshold_usd: float | None = None,
        plan_threshold_usd: float | None = None,
        extra_gated_categories: Collection[str] = (),
    ) -> ApprovalPolicy:
        """This policy with per-run settings applied; they can only make it stricter."""
        return ApprovalPolicy.model_validate(
            {
                "budget_threshold_usd": min(
                    self.budget_threshold_usd, _or(budget_threshold_usd, self.budget_threshold_usd)
                ),
                "plan_threshold_usd": min(
                    self.plan_threshold_usd, _or(plan_threshold_usd, self.plan_threshold_usd)
                ),
                "gated_categories": self.gated_categories
                | _known_categories(extra_gated_categories),
            }
        )

    def strictest(self, other: ApprovalPolicy) -> ApprovalPolicy:
        """The stricter of two policies on every knob."""
        return self.tightened(
            budget_threshold_usd=other.budget_threshold_usd,
            plan_threshold_usd=other.plan_threshold_usd,
            extra_gated_categories=other.gated_categories,
        )

    def gated_by(self, step: PlanStep, findings: Iterable[Finding] = ()) -> list[str]:
        """The gated categories the step touches, strictest first (label and classification)."""
        found = {f.category for f in findings} | {step.category}
        order = [*SENSITIVE, *CATEGORIES]
        return sorted((c for c in found if c in self.gated_categories), key=order.index)

    def step_reasons(self, step: PlanStep, findings: Iterable[Finding] = ()) -> list[str]:
        """Why this step needs approval on its own (category, cost); empty if it does not."""
        findings = list(findings)
        reasons = []
        for category in self.gated_by(step, findings):
            label = category.replace("_", " ")
            evidence = next((f.evidence for f in findings if f.category == category), "")
            if step.category == category and not evidence:
                reasons.append(f"{label} always needs the Director's approval")
            else:
                reasons.append(
                    f"{label} always needs the Director's approval "
                    f"({evidence or 'labelled so by the planner'})"
                )
        if step.estimated_cost_usd > self.budget_threshold_usd:
            reasons.append(
                f"estimated cost ${step.estimated_cost_usd:.2f} is over the "
                f"${self.budget_threshold_usd:.2f} per-step approval threshold"
            )
        return reasons

    def spend_limit(self, goal_budget_usd: float | None) -> SpendLimit:
        """The plan's spending limit: the goal budget, else the per-goal threshold."""
        if goal_budget_usd is not None:
            return SpendLimit(usd=goal_budget_usd, kind="goal_budget")
        return SpendLimit(usd=self.plan_threshold_usd, kind="plan_threshold")

    def requests(
        self,
        plan: ExecutionPlan,
        findings: Mapping[str, list[Finding]],
        *,
        goal_budget_usd: float | None = None,
        decided: Collection[str] = (),
        skip: Collection[str] = (),
        accepted_spend_usd: float | None = None,
    ) -> list[ApprovalRequest]:
        """What to ask the Director about now, in plan order.

        ``decided`` steps are never asked again; ``skip`` holds steps that will
        not run (rejected, or depending on a rejected step): never asked, never
        counted. When the plan's spending (:func:`plan_spend`) is over its
        limit, every undecided step from the one whose running total crosses
        the limit on is asked, unless the Director already accepted at least
        that much (``accepted_spend_usd``).
        """
        limit = self.spend_limit(goal_budget_usd)
        spend = plan_spend(plan, skip)
        over = limit.exceeded_by(spend, accepted_spend_usd)
        running = 0.0
        out = []
        for step in plan.steps:
            if step.id in skip:
                continue
            running += step.estimated_cost_usd
            if step.id in decided:
                continue
            step_findings = findings.get(step.id, [])
            reasons = self.step_reasons(step, step_findings)
            if over and running > limit.usd:
                reasons.append(limit.reason(spend))
            if reasons:
                gated = self.gated_by(step, step_findings)
                out.append(
                    ApprovalRequest(
                        step_id=step.id,
                        action=step.action,
                        category=gated[0] if gated else step.category,
                        reason="; ".join(reasons),
                        estimated_cost_usd=step.estimated_cost_usd,
                        description=step.description,
                    )
                )
        return out


def _or(value: float | None, default: float) -> float:
    return default if value is None else value

"""The one computation of a plan's committed spending, and the limit it is held to.

Committed spending is the sum of the estimated costs of every step that will
run (everything not rejected or skipped). The interrupt's reasons and the check
of a resume value both use :func:`plan_spend`, so they quote the same figure.

With a goal budget the limit is hard: approvals that leave the plan over it are
refused unless the Director sends ``"allow_over_budget": true``, which accepts
the plan's spending as it then stands (it is not asked again unless the plan
grows). Without a budget the per-goal threshold applies: the steps that cross it
need approval, and approving them is enough.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel

from argo_agents.planning.models import ExecutionPlan


class BudgetValueError(ValueError):
    """A budget or threshold that is not a finite, non-negative number of dollars."""


def check_amount(name: str, value: object) -> float | None:
    """``value`` as dollars (None stays None); raise `BudgetValueError` saying what to send."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BudgetValueError(f"{name} must be a number of US dollars, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise BudgetValueError(
            f"{name} must be a finite, non-negative number of US dollars, got {value!r}"
        )
    return float(value)


def plan_spend(plan: ExecutionPlan, skip: Collection[str] = ()) -> float:
    """Estimated spending of the steps that will run, to the cent."""
    return round(sum(s.estimated_cost_usd for s in plan.steps if s.id not in skip), 2)


class SpendLimit(BaseModel):
    """What a plan's spending is held to."""

    usd: float
    kind: Literal["goal_budget", "plan_threshold"]

    def exceeded_by(self, spend: float, accepted_usd: float | None = None) -> bool:
        """True when ``spend`` is over the limit and over what the Director accepted."""
        return spend > self.usd and (accepted_usd is None or spend > accepted_usd)

    def reason(self, spend: float) -> str:
        """The interrupt's reason for a step asked because of the plan's spending."""
        if self.kind == "goal_budget":
            return (
                f"the plan's steps total ${spend:.2f}, over the goal budget of "
                f'${self.usd:.2f}: approving needs "allow_over_budget": true'
            )
        return (
            f"the plan's steps total ${spend:.2f}, over the ${self.usd:.2f} per-goal "
            "approval threshold"
        )

    def refusal(self, spend: float) -> str:
        """Why approvals that leave the plan over a goal budget are refused, and what to send."""
        return (
            f"with these decisions the plan's steps total ${spend:.2f}, over the goal "
            f"budget of ${self.usd:.2f}; reject steps, edit their estimated_cost_usd "
            'down, or send "allow_over_budget": true to accept the overspend'
        )

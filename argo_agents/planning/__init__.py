"""Planning: turning a Director's goal into a validated DAG of steps.

Offline (rules + recalled patterns) by default, LLM-drafted when a model is
configured; every plan passes :func:`validate_plan` before anything runs it.
"""

from argo_agents.planning.llm import PlanDraft, make_plan, plan_with_llm
from argo_agents.planning.models import (
    CAPABILITIES,
    CATEGORIES,
    GATED_CATEGORIES,
    ExecutionPlan,
    PlanStep,
    dependents_closure,
    make_goal_id,
    make_plan_id,
    ready_steps,
)
from argo_agents.planning.offline import PlanningContext, plan_offline
from argo_agents.planning.validate import PlanValidationError, repair_plan, validate_plan

__all__ = [
    "CAPABILITIES",
    "CATEGORIES",
    "GATED_CATEGORIES",
    "ExecutionPlan",
    "PlanStep",
    "PlanDraft",
    "PlanValidationError",
    "PlanningContext",
    "dependents_closure",
    "make_goal_id",
    "make_plan",
    "make_plan_id",
    "plan_offline",
    "plan_with_llm",
    "ready_steps",
    "repair_plan",
    "validate_plan",
]

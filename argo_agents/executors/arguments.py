"""The arguments an executor passes: the approved step, rendered into the route's template."""

from __future__ import annotations

from typing import Any

from argo_agents.approval.record import step_digest
from argo_agents.executors.models import Approval, NotApprovedError
from argo_agents.planning.models import PlanStep


def check_approval(step: PlanStep, approval: Approval) -> None:
    """Refuse to act unless ``approval`` cleared exactly this version of ``step``.

    The last check before the world is touched: the caller already asked the
    gate's record, but an executor never trusts that it did.
    """
    if approval.step_id != step.id or approval.step_hash != step_digest(step):
        raise NotApprovedError(
            f"step {step.id!r} is not the version approval {approval.approval_id} cleared; "
            "nothing was executed"
        )


def values_of(step: PlanStep, approval: Approval) -> dict[str, Any]:
    """Every placeholder's value (see `config.PLACEHOLDERS`)."""
    return {
        "step_id": step.id,
        "action": step.action,
        "description": step.description,
        "category": step.category,
        "required_capabilities": list(step.required_capabilities),
        "estimated_cost_usd": step.estimated_cost_usd,
        "estimated_duration_s": step.estimated_duration_s,
        "goal": approval.goal,
        "goal_id": approval.goal_id,
        "run_id": approval.run_id,
        "approval_id": approval.approval_id,
        "approved_by": approval.by or "",
    }


def _render(template: Any, values: dict[str, Any]) -> Any:
    if isinstance(template, str):
        # a string that is one placeholder keeps the value's type (a cost stays a number)
        name = template[1:-1]
        if template.startswith("{") and template.endswith("}") and name in values:
            return values[name]
        return template.format_map(values)
    if isinstance(template, dict):
        return {k: _render(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_render(v, values) for v in template]
    return template


def build_arguments(
    template: dict[str, Any] | None, step: PlanStep, approval: Approval
) -> dict[str, Any]:
    """The call's arguments: the template rendered, or the default envelope.

    The envelope is ``{"step": <the approved step>, "approval_id", "run_id",
    "goal_id", "goal"}``, so a tool written for ARGO needs no template.
    """
    if template is not None:
        rendered: dict[str, Any] = _render(template, values_of(step, approval))
        return rendered
    return {
        "step": step.model_dump(mode="json"),
        "approval_id": approval.approval_id,
        "run_id": approval.run_id,
        "goal_id": approval.goal_id,
        "goal": approval.goal,
    }

"""The LLM planner: a model drafts the plan, ARGO checks it, repairs it or replaces it.

A model's plan is never trusted as is: it is validated, repaired where that is
safe (every change recorded in ``repair_notes``), and replaced by the offline
plan when the model fails, returns nothing usable, cannot be repaired, or
leaves out the gated step the goal asks for (a deployment filed as
"implementation" would skip the Director's approval).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from argo_agents.learning.adapt import adapt_steps
from argo_agents.planning.intents import GATED_INTENTS, ParsedGoal, parse_goal
from argo_agents.planning.models import (
    CAPABILITIES,
    CATEGORIES,
    ExecutionPlan,
    PlanStep,
    make_goal_id,
    make_plan_id,
)
from argo_agents.planning.offline import (
    PlanningContext,
    context_rationale,
    plan_offline,
    strong_patterns,
)
from argo_agents.planning.templates import GATED_STEP, KNOWN_STEPS
from argo_agents.planning.validate import (
    PlanValidationError,
    find_problems,
    repair_plan,
    validate_plan,
)
from argo_agents.prompts import render_prompt
from argo_agents.structured import structured

log = logging.getLogger(__name__)

FALLBACK_PREFIX = "LLM plan replaced by offline plan: "
Fallback = Literal["offline", "never"]
"""What a model failure leads to: the offline plan (recorded), or an error."""


class PlanDraft(BaseModel):
    """What the model is asked to return (its structured-output schema)."""

    steps: list[PlanStep] = Field(description="The plan's steps, dependencies first.")
    rationale: list[str] = Field(default_factory=list, description="Why the plan has this shape.")


def format_patterns(intent: str, context: PlanningContext | None) -> str:
    """Applicable patterns as prompt lines ("none recorded" when there are none)."""
    lines = [
        f"- {p.id}{f' ({p.name})' if p.name else ''}, success rate "
        f"{p.success_rate:.2f}: " + " -> ".join(p.step_sequence)
        for p in strong_patterns(intent, context)
    ]
    return "\n".join(lines) or "- none recorded"


def format_similar_goals(context: PlanningContext | None) -> str:
    """Similar past goals as prompt lines, most similar first."""
    goals = sorted(context.similar_goals if context else [], key=lambda g: -float(g["similarity"]))
    lines = [
        f"- {g['goal']!r} (similarity {float(g['similarity']):.2f}"
        + (f", outcome: {g['outcome']})" if g.get("outcome") else ")")
        for g in goals[:5]
    ]
    return "\n".join(lines) or "- none recorded"


def render_plan_prompt(goal: str, parsed: ParsedGoal, context: PlanningContext | None) -> str:
    """The planner's system prompt for this goal."""
    return render_prompt(
        "plan",
        goal=goal,
        categories=", ".join(CATEGORIES),
        capabilities=", ".join(sorted(CAPABILITIES)),
        patterns=format_patterns(parsed.intent, context),
        similar_goals=format_similar_goals(context),
    )


def _missing_gates(parsed: ParsedGoal, plan: ExecutionPlan) -> list[str]:
    intents = [i for i in (parsed.intent, *parsed.extra_intents) if i in GATED_INTENTS]
    present = {s.category for s in plan.steps}
    return [
        f"the goal asks to {i} but no step has category {cat!r}"
        for i in intents
        if (cat := KNOWN_STEPS[GATED_STEP[i]].category) not in present
    ]


class LLMFallbackRefused(RuntimeError):
    """The model gave no usable plan and ``ARGO_LLM_FALLBACK=never`` forbids the offline one."""


def _fallback(
    goal: str, context: PlanningContext | None, salt: str, reason: str, policy: Fallback
) -> ExecutionPlan:
    """The offline plan, marked with why; never silent (logged, and kept in the plan)."""
    if policy == "never":
        raise LLMFallbackRefused(
            f"the model gave no usable plan ({reason}); fix the model endpoint, or set "
            "ARGO_LLM_FALLBACK=offline to plan offline when it fails"
        )
    log.warning("planning %r: %s%s", goal[:80], FALLBACK_PREFIX, reason)
    plan = plan_offline(goal, context=context, salt=salt)
    return plan.model_copy(update={"repair_notes": [FALLBACK_PREFIX + reason]})


class _NoUsablePlan(Exception):
    """Why the model's answer cannot be the plan (the offline plan's note says so)."""


def _llm_plan(
    model: BaseChatModel,
    goal: str,
    parsed: ParsedGoal,
    context: PlanningContext | None,
    salt: str,
) -> ExecutionPlan:
    """The model's draft as a valid plan (repaired if it can be); `_NoUsablePlan` if not."""
    prompt = render_plan_prompt(goal, parsed, context)
    messages = [SystemMessage(content=prompt), HumanMessage(content=f"Plan this goal: {goal}")]
    try:
        raw: Any = structured(model, PlanDraft).invoke(messages)
        if raw is None:
            raise _NoUsablePlan("model returned no parsable plan (no structured output)")
        draft = raw if isinstance(raw, PlanDraft) else PlanDraft.model_validate(raw)
    except (ValidationError, OutputParserException) as exc:
        raise _NoUsablePlan(f"model returned no parsable plan ({exc})") from exc
    except _NoUsablePlan:
        raise
    # Deliberately broad: any provider, network or parsing error means "no
    # usable draft", and the reason is kept in the plan, not swallowed.
    except Exception as exc:
        raise _NoUsablePlan(f"model call failed ({type(exc).__name__}: {exc})") from exc
    plan = ExecutionPlan(
        plan_id=make_plan_id(goal, salt, source="llm"),
        goal_id=make_goal_id(goal, salt),
        goal=goal,
        intent=parsed.intent,
        subject=parsed.subject,
        steps=draft.steps,
        rationale=[*draft.rationale, *context_rationale(parsed, context)],
        source="llm",
    )
    if find_problems(plan):
        try:
            plan, _ = repair_plan(plan)
        except PlanValidationError as exc:
            raise _NoUsablePlan(f"repair failed ({'; '.join(exc.problems)})") from exc
    return plan


def plan_with_llm(
    model: BaseChatModel,
    goal: str,
    *,
    context: PlanningContext | None = None,
    salt: str = "",
    fallback: Fallback = "offline",
) -> ExecutionPlan:
    """A model-drafted, validated plan; the offline plan (with the reason) when that fails.

    With ``fallback="never"`` a failure raises `LLMFallbackRefused` instead.
    """
    parsed = parse_goal(goal)
    try:
        plan = _llm_plan(model, goal, parsed, context, salt)
    except _NoUsablePlan as exc:
        return _fallback(goal, context, salt, policy=fallback, reason=str(exc))
    if missing := _missing_gates(parsed, plan):
        return _fallback(goal, context, salt, policy=fallback, reason="; ".join(missing))
    return _with_history(plan, parsed, context)


def _with_history(
    plan: ExecutionPlan, parsed: ParsedGoal, context: PlanningContext | None
) -> ExecutionPlan:
    """The model's plan changed by what earlier runs recorded, as the offline plan is.

    Applied after the gate check: a step the Director rejected before is dropped
    here on purpose (the gate would skip it), not hidden by the model.
    """
    if context is None or context.history is None:
        return plan
    steps, notes = adapt_steps(plan.steps, context.history, parsed.subject)
    if not notes:
        return plan
    adapted = plan.model_copy(update={"steps": steps, "rationale": [*plan.rationale, *notes]})
    validate_plan(adapted)
    return adapted


def make_plan(
    goal: str,
    *,
    model: BaseChatModel | None = None,
    context: PlanningContext | None = None,
    salt: str = "",
    fallback: Fallback = "offline",
) -> ExecutionPlan:
    """The LLM plan when a model is configured, else the offline plan."""
    if model is None:
        return plan_offline(goal, context=context, salt=salt)
    return plan_with_llm(model, goal, context=context, salt=salt, fallback=fallback)

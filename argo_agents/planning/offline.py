"""The offline planner: a specific, valid plan for any goal, with no LLM.

ARGO must plan usefully when no model is configured (the offline default is a
first-class planner, not a stub), and
the LLM planner falls back to this one when a model fails. The plan is built
from the intent's template (:mod:`.templates`), bound to the goal's subject,
extended by gated steps the goal also asks for, and informed by what the
stores remember: applicable patterns and similar past goals (``PlanningContext``).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, field_validator

from argo_agents.learning.adapt import PRECHECK_PREFIX, adapt_steps
from argo_agents.learning.history import LearnedHistory
from argo_agents.learning.patterns import merge_patterns
from argo_agents.planning.intents import ParsedGoal, parse_goal
from argo_agents.planning.models import (
    GATED_CATEGORIES,
    MAX_PATTERNS,
    STRONG_PATTERN,
    ExecutionPlan,
    Pattern,
    PlanStep,
    dependents_closure,
    make_goal_id,
    make_plan_id,
)
from argo_agents.planning.templates import GATED_STEP, KNOWN_STEPS, TEMPLATES, StepSpec
from argo_agents.planning.validate import validate_plan

MAX_CITED = MAX_PATTERNS  # as many similar goals are cited as applicable patterns
_LARGE_SCOPE = re.compile(
    r"\b(platform|from scratch|end-to-end|entire|whole|system-wide|company-wide)\b", re.I
)
_SCALED_CATEGORIES = {"implementation", "external_integration", "data_migration"}


class PlanningContext(BaseModel):
    """What the stores recall for a goal: patterns (Neo4j), similar goals (vectors) and the
    measured history of the plan's actions (warehouse)."""

    patterns: list[Pattern] = Field(default_factory=list)
    similar_goals: list[dict[str, Any]] = Field(default_factory=list)
    history: LearnedHistory | None = None

    @field_validator("similar_goals")
    @classmethod
    def _goals_have_keys(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, g in enumerate(value):
            if not {"goal", "similarity"} <= g.keys():
                raise ValueError(f"similar goal #{i} needs 'goal' and 'similarity' keys")
        return value


def strong_patterns(intent: str, context: PlanningContext | None) -> list[Pattern]:
    """Patterns of this intent with success_rate >= 0.7, best first (docs/store-model.md)."""
    if context is None:
        return []
    hits = [p for p in context.patterns if p.intent == intent and p.strong]
    hits.sort(key=lambda p: (-p.success_rate, p.id))
    return hits[:MAX_PATTERNS]


def context_rationale(parsed: ParsedGoal, context: PlanningContext | None) -> list[str]:
    """Rationale lines citing applicable patterns and similar past goals by id and score."""
    if context is None:
        return []
    lines = []
    hits = strong_patterns(parsed.intent, context)
    for p in hits:
        name = f" ({p.name})" if p.name else ""
        lines.append(
            f"Pattern {p.id}{name} applies to '{parsed.intent}' with success rate "
            f"{p.success_rate:.2f}: " + " → ".join(p.step_sequence)
        )
    for fam in merge_patterns(hits):
        if len(fam.pattern_ids) > 1:
            lines.append(
                f"Patterns {', '.join(fam.pattern_ids)} are one family of similar sequences: "
                f"{fam.occurrences} run(s), success rate {fam.success_rate:.2f}"
                + (f", failed at {', '.join(fam.failure_points)}" if fam.failure_points else "")
                + "."
            )
    if skipped := len(context.patterns) - len(hits):
        lines.append(
            f"{skipped} pattern(s) not used: other task type or success rate < {STRONG_PATTERN}."
        )
    ranked = sorted(context.similar_goals, key=lambda g: (-float(g["similarity"]), str(g["goal"])))
    for g in ranked[:MAX_CITED]:
        outcome = f", outcome: {g['outcome']}" if g.get("outcome") else ""
        lines.append(
            f"Similar past goal (similarity {float(g['similarity']):.2f}{outcome}): {g['goal']!r}"
        )
    return lines


def _bind(spec: StepSpec, subject: str, target: str | None, main_subject: str) -> PlanStep:
    text = spec.description.format(subject=subject, target=f" (target: {target})" if target else "")
    if main_subject not in text:
        text += f" (for {main_subject})"
    return PlanStep(
        id=spec.action,
        action=spec.action,
        description=text,
        category=spec.category,
        required_capabilities=list(spec.capabilities),
        dependencies=list(spec.after),
        estimated_duration_s=spec.duration_s,
        estimated_cost_usd=spec.cost_usd,
    )


def _sinks(steps: list[PlanStep]) -> list[str]:
    used = {d for s in steps for d in s.dependencies}
    return [s.id for s in steps if s.id not in used]


def apply_pattern(
    steps: list[PlanStep], pattern: Pattern, subject: str, target: str | None
) -> tuple[list[PlanStep], list[str]]:
    """Insert the known, ungated actions of a strong pattern that the plan lacks.

    Each inserted step goes after the nearest earlier action of the pattern's
    sequence that the plan has, and before the nearest later one, unless that
    would close a cycle. Gated actions are never added: a learned pattern must
    not widen a goal into work the Director did not ask for.
    """
    steps = [s.model_copy(deep=True) for s in steps]
    notes = []
    seq = pattern.step_sequence
    for i, action in enumerate(seq):
        have = {s.action: s for s in steps}
        spec = KNOWN_STEPS.get(action)
        if action in have or spec is None or spec.category in GATED_CATEGORIES:
            continue
        before = next((a for a in reversed(seq[:i]) if a in have), None)
        after = next((a for a in seq[i + 1 :] if a in have), None)
        new = _bind(spec, subject, target, subject).model_copy(
            update={"dependencies": [have[before].id] if before else []}
        )
        draft = ExecutionPlan(plan_id="", goal_id="", goal="", intent="", subject="", steps=steps)
        closes_cycle = bool(
            before and after and have[before].id in dependents_closure(draft, [have[after].id])
        )
        if after and not closes_cycle:
            have[after].dependencies.append(new.id)
            steps.insert(steps.index(have[after]), new)
            where = f"before {after}" + (f", after {before}" if before else "")
        else:
            steps.insert(steps.index(have[before]) + 1 if before else len(steps), new)
            where = f"after {before}" if before else "at the end"
        notes.append(f"Added {action} {where}, following pattern {pattern.id}.")
    return steps, notes


def _parallel_note(plan: ExecutionPlan) -> str | None:
    parallel = [", ".join(level) for level in plan.levels() if len(level) > 1]
    return ("Run in parallel: " + "; ".join(parallel) + ".") if parallel else None


def _learned(
    steps: list[PlanStep], parsed: ParsedGoal, context: PlanningContext | None
) -> tuple[list[PlanStep], list[str]]:
    """The steps after the best strong pattern and the measured history, and why."""
    notes: list[str] = []
    if strong := strong_patterns(parsed.intent, context):
        steps, notes = apply_pattern(steps, strong[0], parsed.subject, parsed.target)
    if context is not None and context.history is not None:
        steps, more = adapt_steps(steps, context.history, parsed.subject)
        notes += more
    return steps, notes


def plan_offline(
    goal: str, *, context: PlanningContext | None = None, salt: str = ""
) -> ExecutionPlan:
    """Decompose ``goal`` into a validated DAG of steps from rules and recalled context."""
    parsed = parse_goal(goal)
    subject, target = parsed.subject, parsed.target
    steps = [_bind(spec, subject, target, subject) for spec in TEMPLATES[parsed.intent]]
    why = [
        f"Intent '{parsed.intent}'"
        + (
            f" from keyword '{parsed.matched_keyword}'"
            if parsed.matched_keyword
            else " (no intent keyword found)"
        )
        + f"; subject: {subject}"
        + (f"; target: {target}" if target else "")
        + "."
    ]

    if m := _LARGE_SCOPE.search(goal):
        for s in steps:
            if s.category in _SCALED_CATEGORIES:
                s.estimated_cost_usd = round(s.estimated_cost_usd * 2.5, 2)
                s.estimated_duration_s *= 2
        why.append(f"Large scope ('{m.group(0)}'): implementation estimates ×2.5 cost, ×2 time.")

    for extra in parsed.extra_intents:
        spec = KNOWN_STEPS[GATED_STEP[extra]]
        step = _bind(spec, parsed.extra_subjects.get(extra, subject), None, subject)
        step.dependencies = _sinks(steps)
        steps.append(step)
        why.append(
            f"The goal also asks to {extra}: added gated step {step.id} after "
            f"{', '.join(step.dependencies)}."
        )

    steps, notes = _learned(steps, parsed, context)
    why.extend(notes)

    plan = ExecutionPlan(
        plan_id=make_plan_id(goal, salt, source="offline"),
        goal_id=make_goal_id(goal, salt),
        goal=goal,
        intent=parsed.intent,
        subject=subject,
        steps=steps,
        rationale=why,
        source="offline",
    )
    if note := _parallel_note(plan):
        plan.rationale.append(note)
    gated = [f"{s.id} ({s.category})" for s in steps if s.category in GATED_CATEGORIES]
    if gated:
        plan.rationale.append("Director's approval needed by category: " + ", ".join(gated) + ".")
    plan.rationale.extend(context_rationale(parsed, context))
    validate_plan(plan)  # templates are data: a bad edit to them must fail loudly here
    return plan


def candidate_actions(goal: str, context: PlanningContext | None = None) -> list[str]:
    """Every action a plan for ``goal`` may contain before history reshapes it, with the
    precheck each could gain: what to recall the history of."""
    base = context.model_copy(update={"history": None}) if context else None
    actions = [s.action for s in plan_offline(goal, context=base).steps]
    return [*actions, *(PRECHECK_PREFIX + a for a in actions)]

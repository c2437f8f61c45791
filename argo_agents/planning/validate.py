"""Judging and repairing plans before anything runs them.

An LLM draft (or an edited step) can carry every kind of mistake at once, so
:func:`validate_plan` lists them all, and :func:`repair_plan` fixes what can be
fixed without guessing and reports each change. What cannot be fixed safely
(an empty plan, a negative or unknown cost that the budget gate depends on)
stays an error, so the caller falls back to the offline planner instead.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from graphlib import CycleError, TopologicalSorter

from argo_agents.planning.models import (
    CAPABILITIES,
    CATEGORIES,
    ExecutionPlan,
    PlanStep,
    is_snake_case,
    to_snake_case,
)


class PlanValidationError(ValueError):
    """A plan that must not run; ``problems`` lists every reason."""

    def __init__(self, problems: list[str], plan_id: str = "") -> None:
        self.problems = list(problems)
        where = f"plan {plan_id}" if plan_id else "plan"
        super().__init__(
            f"{where} is invalid ({len(problems)} problem(s)): "
            + "; ".join(problems)
            + ". Fix the steps, or call repair_plan() to fix what can be fixed automatically."
        )


def back_edges(steps: list[PlanStep]) -> list[tuple[str, str, list[str]]]:
    """(step, dependency, cycle) for each edge that closes a cycle.

    A depth-first search in step order, following dependencies in listed order;
    removing exactly these edges leaves a DAG, which is how repair breaks cycles.
    """
    deps: dict[str, list[str]] = {}
    for s in steps:
        deps.setdefault(s.id, list(s.dependencies))
    state: dict[str, int] = {}  # 1 = on the DFS stack, 2 = finished
    path: list[str] = []
    found: list[tuple[str, str, list[str]]] = []

    def visit(sid: str) -> None:
        state[sid] = 1
        path.append(sid)
        for dep in deps[sid]:
            if dep not in deps:
                continue
            if state.get(dep) == 1:
                found.append((sid, dep, [*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep)
        path.pop()
        state[sid] = 2

    for sid in deps:
        if sid not in state:
            visit(sid)
    return found


def _nearest(name: str, known: frozenset[str] | tuple[str, ...]) -> str | None:
    norm = to_snake_case(name)
    if norm in known:
        return norm
    close = difflib.get_close_matches(norm, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None


# Fail safe: a category that smells of gated work stays gated rather than
# becoming "implementation" and slipping past the Director's approval.
_GATED_HINTS = (
    ("deploy", "production_deployment"),
    ("release", "production_deployment"),
    ("delet", "data_deletion"),
    ("purg", "data_deletion"),
    ("drop", "data_deletion"),
    ("migrat", "data_migration"),
    ("integrat", "external_integration"),
    ("external", "external_integration"),
)


def _repair_category(category: str) -> str:
    norm = to_snake_case(category)
    if norm in CATEGORIES:
        return norm
    for hint, gated in _GATED_HINTS:
        if hint in norm:
            return gated
    return "implementation"


def find_problems(plan: ExecutionPlan) -> list[str]:
    """Every problem in ``plan``, in a stable order; empty when it may run."""
    if not plan.steps:
        return ["plan has no steps"]
    problems = []
    ids = [s.id for s in plan.steps]
    problems += [f"duplicate step id {i!r} ({n} steps)" for i, n in Counter(ids).items() if n > 1]
    known = set(ids)
    for s in plan.steps:
        if not s.id.strip():
            problems.append(f"step {s.action!r} has an empty id")
        if not is_snake_case(s.action):
            problems.append(f"step {s.id!r}: action {s.action!r} is not snake_case")
        problems += [
            f"step {s.id!r} depends on unknown step {d!r}" for d in s.dependencies if d not in known
        ]
        if s.category not in CATEGORIES:
            problems.append(
                f"step {s.id!r} has unknown category {s.category!r} "
                f"(expected one of: {', '.join(CATEGORIES)})"
            )
        for cap in s.required_capabilities:
            if cap not in CAPABILITIES:
                hint = _nearest(cap, CAPABILITIES)
                problems.append(
                    f"step {s.id!r} requires unknown capability {cap!r}"
                    + (f" (did you mean {hint!r}?)" if hint else "")
                )
        if s.estimated_duration_s < 0:
            problems.append(f"step {s.id!r} has negative duration {s.estimated_duration_s}")
        if not math.isfinite(s.estimated_cost_usd) or s.estimated_cost_usd < 0:
            problems.append(f"step {s.id!r} has invalid cost {s.estimated_cost_usd}")
    problems += [f"cycle: {' -> '.join(cycle)}" for _, _, cycle in back_edges(plan.steps)]
    return problems


def validate_plan(plan: ExecutionPlan) -> None:
    """Raise :class:`PlanValidationError` listing every problem, or return None."""
    if problems := find_problems(plan):
        raise PlanValidationError(problems, plan.plan_id)


def repair_plan(plan: ExecutionPlan) -> tuple[ExecutionPlan, list[str]]:
    """A valid copy of ``plan`` and a note per change; raises if it cannot be made valid.

    Repairs, in order: empty or duplicate ids (renamed with a ``-2`` suffix;
    dependencies keep pointing at the first), non-snake_case actions, unknown
    categories (normalised match; one naming gated work such as "deployment"
    becomes that gated category; else ``implementation``), unknown
    capabilities (nearest known name, else dropped), dangling and repeated
    dependencies, then cycles (the DFS edge that closes each one is removed).
    Negative or non-finite estimates are not guessed: the budget gate relies
    on costs, so such a plan stays invalid.
    """
    notes: list[str] = []
    steps = [s.model_copy(deep=True) for s in plan.steps]
    taken = _make_ids_unique(steps, notes)
    for s in steps:
        _repair_step(s, taken, notes)
    by_id = {s.id: s for s in steps}
    for sid, dep, cycle in back_edges(steps):
        by_id[sid].dependencies.remove(dep)
        notes.append(
            f"broke cycle {' -> '.join(cycle)} by removing the dependency of {sid!r} on {dep!r}"
        )
    repaired = plan.model_copy(
        update={"steps": steps, "repair_notes": [*plan.repair_notes, *notes]}
    )
    validate_plan(repaired)
    try:  # back_edges guarantees a DAG; graphlib double-checks the invariant
        TopologicalSorter({s.id: s.dependencies for s in steps}).prepare()
    except CycleError as exc:  # pragma: no cover - would be a bug in back_edges
        raise PlanValidationError([f"cycle survived repair: {exc.args[1]}"], plan.plan_id) from exc
    return repaired, notes


def _make_ids_unique(steps: list[PlanStep], notes: list[str]) -> set[str]:
    """Rename empty and repeated ids in place; return the ids in use."""
    reserved = {s.id for s in steps}  # a rename must not steal a later step's id
    taken: set[str] = set()
    for i, s in enumerate(steps, start=1):
        if s.id.strip() and s.id not in taken:
            taken.add(s.id)
            continue
        base, n = s.id.strip() or f"step-{i}", 1
        new = base
        while new in taken or new in reserved:
            n += 1
            new = f"{base}-{n}"
        notes.append(f"renamed step {s.id!r} to {new!r} (ids must be unique and non-empty)")
        s.id = new
        taken.add(new)
    return taken


def _repair_step(s: PlanStep, ids: set[str], notes: list[str]) -> None:
    """Fix one step's action, category, capabilities and dependencies in place."""
    if not is_snake_case(s.action):
        fixed = to_snake_case(s.action)
        notes.append(f"step {s.id!r}: action {s.action!r} renamed to {fixed!r}")
        s.action = fixed
    if s.category not in CATEGORIES:
        fixed = _repair_category(s.category)
        notes.append(f"step {s.id!r}: unknown category {s.category!r} set to {fixed!r}")
        s.category = fixed
    caps: list[str] = []
    for cap in s.required_capabilities:
        nearest = cap if cap in CAPABILITIES else _nearest(cap, CAPABILITIES)
        if nearest != cap:
            notes.append(
                f"step {s.id!r}: capability {cap!r} "
                + (f"mapped to {nearest!r}" if nearest else "dropped (no close match)")
            )
        if nearest and nearest not in caps:
            caps.append(nearest)
    s.required_capabilities = caps
    deps: list[str] = []
    for dep in s.dependencies:
        if dep not in ids:
            notes.append(f"step {s.id!r}: dropped dependency on unknown step {dep!r}")
        elif dep not in deps:
            deps.append(dep)
    s.dependencies = deps

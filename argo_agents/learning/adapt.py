"""How what earlier runs recorded changes the next plan, each change with its reason.

Three lessons, applied in this order to a plan's steps:

1. The Director's decisions. A step most of whose earlier decisions were
   rejections (the newest among them) is dropped with the steps that need it,
   as the gate would have skipped them; a step the Director edited is proposed
   with the edit (duration, capabilities, a higher cost; never the category or a
   cost cut, so an earlier edit cannot take a step past a gate, and the
   description keeps this goal's subject).
2. Failure points. A step that failed in a third or more of its recent runs
   gets a precheck step before it (an analysis: it inspects, it changes
   nothing), run by an agent able to run the step.
3. Estimates. A step with measured runs is estimated from their median, and
   the template's figure is kept beside it.
"""

from __future__ import annotations

import math
from typing import Any

from argo_agents.learning.history import ActionHistory, DirectorDecision, LearnedHistory
from argo_agents.planning.models import PlanStep

PRECHECK_PREFIX = "precheck_"
# A precheck is a short look before the real work: a tenth of the step, at least a minute.
PRECHECK_SHARE = 0.1
PRECHECK_MIN_S = 60
_EDITABLE = ("estimated_cost_usd", "estimated_duration_s", "required_capabilities")


def _cite(ids: list[str], limit: int = 3) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" (+{len(ids) - limit} more)" if len(ids) > limit else "")


def _drop(steps: list[PlanStep], step_id: str) -> list[str]:
    """Remove a step and every step that needs it; return the removed ids."""
    gone = {step_id}
    changed = True
    while changed:
        changed = False
        for s in steps:
            if s.id not in gone and gone & set(s.dependencies):
                gone.add(s.id)
                changed = True
    steps[:] = [s for s in steps if s.id not in gone]
    return [step_id, *sorted(gone - {step_id})]


def _edited(step: PlanStep, edits: list[DirectorDecision]) -> tuple[list[str], str]:
    """Apply the Director's edits (oldest first, so the newest wins); return the fields
    applied and a note on a cost cut left out."""
    fields: dict[str, Any] = {}
    for d in reversed(edits):
        for name, change in d.changes.items():
            if name in _EDITABLE and isinstance(change, dict) and "after" in change:
                fields[name] = change["after"]
    cost = fields.get("estimated_cost_usd")
    held = ""
    if isinstance(cost, int | float) and cost < step.estimated_cost_usd:
        # A cut could take the step under the budget gate: the Director's earlier "yes" was
        # for that goal, so this one is asked again at ARGO's own estimate.
        del fields["estimated_cost_usd"]
        held = (
            f" The Director cut its cost to ${cost:.2f} before; it is still proposed at "
            f"${step.estimated_cost_usd:.2f}, so a budget gate asks again."
        )
    for name, value in fields.items():
        setattr(step, name, value)
    return sorted(fields), held


def apply_decisions(steps: list[PlanStep], history: LearnedHistory) -> list[str]:
    """Lesson 1 (see the module docstring), in place; the rationale lines."""
    notes = []
    for step in list(steps):
        h = history.of(step.action)
        found = h.verdict() if h else None
        if found is None or step.id not in {s.id for s in steps}:
            continue
        kind, decisions = found
        ids = [d.record_id for d in decisions]
        if kind == "reject":
            reason = next((d.reason for d in decisions if d.reason), "")
            dropped = _drop(steps, step.id)
            notes.append(
                f"Dropped {', '.join(dropped)}: the Director rejected {step.action} in "
                f"{len(decisions)} earlier decision(s) on similar goals ({_cite(ids)})"
                + (f", saying {reason!r}" if reason else "")
                + "."
            )
            continue
        changed, held = _edited(step, decisions)
        if changed or held:
            notes.append(
                f"Proposed {step.id} with the Director's earlier edit of "
                f"{', '.join(changed) or 'nothing'} ({_cite(ids)}).{held}"
            )
    return notes


def precheck_for(step: PlanStep, h: ActionHistory, subject: str) -> PlanStep:
    """A short check of what made ``step`` fail before, to run just before it."""
    return PlanStep(
        id=PRECHECK_PREFIX + step.id,
        action=PRECHECK_PREFIX + step.action,
        description=(
            f"Check the preconditions of {step.action} for {subject} before it runs: "
            f"it failed in {len(h.failures)} of {len(h.runs)} recent runs"
        ),
        category="analysis",  # it inspects, it changes nothing
        required_capabilities=list(step.required_capabilities),
        dependencies=list(step.dependencies),
        estimated_duration_s=max(PRECHECK_MIN_S, round(step.estimated_duration_s * PRECHECK_SHARE)),
        estimated_cost_usd=round(step.estimated_cost_usd * PRECHECK_SHARE, 2),
    )


def add_prechecks(steps: list[PlanStep], history: LearnedHistory, subject: str) -> list[str]:
    """Lesson 2, in place; the rationale lines."""
    notes = []
    ids = {s.id for s in steps}
    for step in list(steps):
        h = history.of(step.action)
        if h is None or not h.needs_precheck or PRECHECK_PREFIX + step.id in ids:
            continue
        if step.action.startswith(PRECHECK_PREFIX):
            continue  # a precheck that fails is not checked again
        check = precheck_for(step, h, subject)
        steps.insert(steps.index(step), check)
        step.dependencies = [check.id]
        failed = [r.record_id for r in h.failures]
        notes.append(
            f"Added {check.id} before {step.id}: {step.action} failed in {len(failed)} of "
            f"{len(h.runs)} recent runs ({_cite(failed)})."
        )
    return notes


def measured_estimates(steps: list[PlanStep], history: LearnedHistory) -> list[str]:
    """Lesson 3, in place; one rationale line for all the steps it re-estimated."""
    changed = []
    for step in steps:
        h = history.of(step.action)
        measured = h.measured_s if h else None
        if measured is None or h is None:
            continue
        # whole seconds, at least one: a step that ran took time
        new = max(1, math.ceil(measured))
        if step.template_duration_s is None:
            step.template_duration_s = step.estimated_duration_s
        step.estimated_duration_s = new
        changed.append(f"{step.id} {new} s (median of {len(h.durations_s)} runs)")
    if not changed:
        return []
    return ["Estimates from measured history instead of the template: " + "; ".join(changed) + "."]


def adapt_steps(
    steps: list[PlanStep], history: LearnedHistory, subject: str
) -> tuple[list[PlanStep], list[str]]:
    """The plan's steps changed by what earlier runs recorded, and why (one line each)."""
    steps = [s.model_copy(deep=True) for s in steps]
    notes = apply_decisions(steps, history)
    notes += add_prechecks(steps, history, subject)
    notes += measured_estimates(steps, history)
    return steps, notes

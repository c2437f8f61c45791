"""A goal run as records: pure functions from graph state to sync events.

Each node publishes its own records when it finishes — the plan when agents
are assigned, each decision when it is made, each step's result when it ends,
the outcome at the end — so a failure late in a run strands nothing earlier.
Every record carries a version derived from the run's start and the phase
(`run_version`), so a node that runs again after a crash republishes the same
versions, and the stores apply each record once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any

from argo_agents.approval.decisions import LedgerEntry
from argo_agents.approval.record import ApprovalRecord
from argo_agents.assignment.scaling import ScalingDecision
from argo_agents.assignment.scoring import Assignment
from argo_agents.executors.models import audit_id
from argo_agents.orchestrator.state import (
    ExecutorCall,
    Integration,
    LearnedPattern,
    RunStatus,
    State,
    StepFailure,
    StepOutcome,
    StepRun,
    StepTask,
    assignments_of,
    integration_of,
    ledger_of,
    plan_of,
    results_of,
)
from argo_agents.planning.models import ExecutionPlan
from argo_agents.sync.events import Priority, SyncEvent


def _id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class PatternRecord(LearnedPattern):
    """A learned pattern as the stores keep it: with the counts of every run that followed it."""

    occurrences: int
    success_rate: float
    text: str


def _said(result: StepOutcome) -> str:
    return result.error if isinstance(result, StepFailure) else result.summary


def executor_calls(plan: ExecutionPlan, results: Mapping[str, StepOutcome]) -> list[ExecutorCall]:
    """Every executor call of the run, in plan order."""
    return [
        {
            "step_id": s.id,
            "executor": r.execution.executor,
            "target": r.execution.target,
            "approval_id": r.execution.approval_id,
        }
        for s in plan.steps
        if isinstance(r := results.get(s.id), StepRun) and r.execution is not None
    ]


def integrate(state: State) -> Integration:
    """Combined results by step and by agent, with the run's final status.

    A run whose steps all ended done or prepared is completed; its integration
    says which steps were only prepared (no executor acted) and which were executed.
    """
    plan = plan_of(state)
    status = state.get("step_status") or {}
    results = results_of(state)
    by_agent: dict[str, list[str]] = {}
    for sid, r in results.items():
        by_agent.setdefault(r.agent_id, []).append(sid)
    rejected = [e.step_id for e in ledger_of(state) if e.decision == "reject"]
    failed = [sid for sid, s in status.items() if s == "failed"]
    final: RunStatus = "failed" if failed else "rejected" if rejected else "completed"
    done = [s.id for s in plan.steps if status.get(s.id) == "done"]
    prepared = [s.id for s in plan.steps if status.get(s.id) == "prepared"]
    calls = executor_calls(plan, results)
    return {
        "status": final,
        "steps_done": done,
        "steps_prepared": prepared,
        "steps_executed": [c["step_id"] for c in calls],
        "executor_calls": calls,
        "steps_failed": failed,
        "steps_skipped": [sid for sid, s in status.items() if s == "skipped"],
        "by_step": {sid: _said(results[sid]) for sid in plan.step_ids() if sid in results},
        "by_agent": {a: sorted(sids) for a, sids in sorted(by_agent.items())},
        "success_rate": round(len(done + prepared) / len(plan.steps), 3) if plan.steps else 0.0,
        "duration_s": round(sum(r.duration_s for r in results.values()), 3),
        "learned_pattern": learn_pattern(plan, status, results),
    }


def learn_pattern(
    plan: ExecutionPlan, status: Mapping[str, str], results: Mapping[str, StepOutcome]
) -> LearnedPattern:
    """The run's execution pattern (what later plans learn from; docs/store-model.md)."""
    sequence = [s.action for s in plan.steps]
    ran = [s for s in plan.steps if status.get(s.id) in ("done", "prepared", "failed")]
    success = bool(ran) and all(status.get(s.id) in ("done", "prepared") for s in ran)
    return {
        "id": f"pattern-{plan.intent}-{_id(*sequence)}",
        "task_type": plan.intent,
        "name": f"{plan.intent}: {' → '.join(sequence)}",
        "step_sequence": sequence,
        "agent_types": sorted({r.agent_kind for r in results.values()} - {""}),
        "success": success,
        "failure_points": [s.action for s in plan.steps if status.get(s.id) == "failed"],
        "duration_s": sum(results[s.id].duration_s for s in ran if s.id in results),
    }


def with_stats(learned: LearnedPattern, occurrences: int, successes: int) -> PatternRecord:
    """The learned pattern as a record, with the counts of every run that followed it."""
    rate = round(successes / occurrences, 4) if occurrences else 0.0
    return {**learned, "occurrences": occurrences, "success_rate": rate, "text": learned["name"]}


class Phase(IntEnum):
    """When in a run a record is written; part of its version (see `run_version`)."""

    PLANNED = 1
    DECIDED = 2
    RAN = 3
    FINAL = 9


def run_version(started_at: str, phase: int) -> int:
    """The version of a record a run writes in ``phase``: the same on every re-execution.

    The run's start (ms) times 1,000 plus the phase, so a node that runs again
    after a crash republishes the very same versions (the stores and the
    warehouse's read-before-write make that a no-op), a later phase supersedes
    an earlier one, and a later run supersedes an earlier run's shared records.
    """
    ms = int(datetime.fromisoformat(started_at).timestamp() * 1000)
    return ms * 1000 + phase


def step_entity_id(goal_id: str, step_id: str) -> str:
    """Step ids repeat across plans (they are action names): scope them to the goal."""
    return f"{goal_id}.{step_id}"


class _Events(list[SyncEvent]):
    """Events of one phase of one run: all with the phase's version."""

    def __init__(self, version: int) -> None:
        super().__init__()
        self.version = version

    def add(self, entity_type: str, entity_id: str, data: Mapping[str, object], **kw: Any) -> None:
        self.append(
            SyncEvent(
                entity_type=entity_type, entity_id=entity_id, data=data, version=self.version, **kw
            )
        )


def _step_record(
    goal_id: str,
    plan: ExecutionPlan,
    step_id: str,
    assignment: Assignment | None,
    status: str,
    error: str | None,
) -> dict[str, object]:
    step = plan.step(step_id)
    rel = [
        {"type": "DEPENDS_ON", "label": "Step", "id": step_entity_id(plan.goal_id, d)}
        for d in step.dependencies
    ]
    if assignment:
        rel.append({"type": "ASSIGNED_TO", "label": "Agent", "id": assignment.agent_id})
    return {
        "text": step.description,
        "action": step.action,
        "category": step.category,
        "status": status,
        "goal_id": goal_id,
        "estimated_cost_usd": step.estimated_cost_usd,
        "agent_id": assignment.agent_id if assignment else None,
        "assignment_reason": assignment.reason if assignment else None,
        "error": error,
        "relations": rel,
    }


def _goal_and_plan(ev: _Events, state: State, plan: ExecutionPlan, status: str) -> None:
    goal_id = state["goal_id"]
    ev.add(
        "goal",
        goal_id,
        {
            "text": state["goal"],
            "director": state.get("director") or "director",
            "budget_usd": state.get("budget_usd"),
            "intent": plan.intent,
            "subject": plan.subject,
            "status": status,
            "run_id": state.get("run_id"),
            "relations": [{"type": "HAS_PLAN", "label": "Plan", "id": plan.plan_id}],
        },
    )
    ev.add(
        "plan",
        plan.plan_id,
        {
            "text": " ".join(plan.rationale) or plan.goal,
            "goal_id": goal_id,
            "source": plan.source,
            "steps": plan.step_ids(),
            "estimated_duration_s": plan.estimated_duration_s,
            "repair_notes": plan.repair_notes,
            "relations": [
                {"type": "HAS_STEP", "label": "Step", "id": step_entity_id(goal_id, s.id)}
                for s in plan.steps
            ],
        },
    )


def scaling_events(state: State, decisions: Sequence[ScalingDecision]) -> list[SyncEvent]:
    """Agent instances added or retired while this run was assigned (warehouse events)."""
    return [
        SyncEvent(
            entity_type="event",
            entity_id=f"agent-scaled-{d.agent_id}-{d.action}-{int(d.at.timestamp() * 1000)}",
            data={
                "event_type": "agent_scaled",
                "action": d.action,
                "agent_id": d.agent_id,
                "kind": d.kind,
                "load": round(d.load, 3),
                "reason": d.reason,
                "goal_id": state["goal_id"],
            },
        )
        for d in decisions
    ]


def planned_events(state: State, assignments: Mapping[str, Assignment]) -> list[SyncEvent]:
    """Goal, plan and steps as soon as agents are assigned (so agents can read them)."""
    plan = plan_of(state)
    goal_id = state["goal_id"]
    ev = _Events(run_version(state["started_at"], Phase.PLANNED))
    _goal_and_plan(ev, state, plan, "planned")
    for step in plan.steps:
        ev.add(
            "step",
            step_entity_id(goal_id, step.id),
            _step_record(goal_id, plan, step.id, assignments.get(step.id), "pending", None),
        )
    return ev


def _result_record(result: StepRun, goal_id: str, step_id: str, status: str) -> dict[str, object]:
    """A step's result as the stores keep it, with what acted for it (or why nothing did)."""
    execution = result.execution
    sid = step_entity_id(goal_id, step_id)
    return {
        "text": result.summary + "\n" + "\n".join(result.findings),
        "summary": result.summary,
        "findings": result.findings,
        "confidence": result.confidence,
        "agent_id": result.agent_id,
        "step_id": step_id,
        "goal_id": goal_id,
        "status": status,
        "executed_by": execution.executor if execution else None,
        "approval_id": execution.approval_id if execution else None,
        "execution": execution.model_dump(mode="json") if execution else None,
        "not_executed": result.not_executed or None,
        "relations": [{"type": "RESULT_OF", "label": "Step", "id": sid}],
    }


def step_events(
    task: StepTask,
    assignment: Assignment,
    result: StepOutcome,
    status: str,
    error: str | None,
) -> list[SyncEvent]:
    """What one finished step produced: its status, result, knowledge and the activity."""
    plan = plan_of(task)
    goal_id, step_id = task["goal_id"], assignment.step_id
    sid = step_entity_id(goal_id, step_id)
    ev = _Events(run_version(task["started_at"], Phase.RAN))
    ev.add("step", sid, _step_record(goal_id, plan, step_id, assignment, status, error))
    if not isinstance(result, StepFailure):
        confidence = result.confidence
        ev.add(
            "step_result",
            sid + "-result",
            _result_record(result, goal_id, step_id, status),
            confidence=confidence,
        )
        for k in result.knowledge:
            ev.add(
                "knowledge",
                k.id,
                {
                    "text": k.text,
                    "title": k.title,
                    "tags": k.tags,
                    "goal_id": goal_id,
                    "relations": [
                        {"type": "DERIVED_FROM", "label": "StepResult", "id": sid + "-result"}
                    ],
                },
                confidence=confidence,
            )
    ev.add(
        "agent_activity",
        sid + "-activity",
        {
            "agent_id": result.agent_id,
            "task_id": goal_id,
            "task_type": plan.intent,
            "activity_type": plan.step(step_id).action,
            "success": not isinstance(result, StepFailure),
            "duration_s": result.duration_s,
            # prepared, not executed: its duration is the plan's writing, not the work's
            "prepared": bool(getattr(result, "not_executed", "")),
        },
    )
    return ev


def outcome_events(state: State, pattern: PatternRecord) -> list[SyncEvent]:
    """The run's final records: goal and steps as they ended, agents, the learned pattern,
    collaborations, the duration metric and the `goal_completion` event."""
    plan = plan_of(state)
    integ = integration_of(state)
    ev = _Events(run_version(state["started_at"], Phase.FINAL))
    _goal_and_plan(ev, state, plan, integ["status"])
    _steps_as_ended(ev, state, plan)
    _agents(ev, state, integ)
    ev.add("pattern", pattern["id"], pattern, confidence=pattern["success_rate"])
    _collaboration_records(ev, state, plan, integ)
    _completion(ev, state["goal_id"], integ)
    return ev


def _steps_as_ended(ev: _Events, state: State, plan: ExecutionPlan) -> None:
    goal_id, status = state["goal_id"], state.get("step_status") or {}
    assignments, errors = assignments_of(state), state.get("errors") or {}
    for step in plan.steps:
        record = _step_record(
            goal_id,
            plan,
            step.id,
            assignments.get(step.id),
            status.get(step.id, "pending"),
            errors.get(step.id),
        )
        ev.add("step", step_entity_id(goal_id, step.id), record)


def _agents(ev: _Events, state: State, integ: Integration) -> None:
    results = results_of(state)
    for agent_id, sids in integ["by_agent"].items():
        kind = next((results[s].agent_kind for s in sids if s in results), None)
        record = {
            "text": f"{kind} agent {agent_id}",
            "kind": kind,
            "last_goal_id": state["goal_id"],
            "steps_in_last_goal": len(sids),
        }
        ev.add("agent", agent_id, record)


def _collaboration_records(
    ev: _Events, state: State, plan: ExecutionPlan, integ: Integration
) -> None:
    goal_id, status = state["goal_id"], state.get("step_status") or {}
    pairs = _collaborations(plan, assignments_of(state), status)
    pairs = sorted(set(pairs) | set(_team_pairs(state.get("results") or {}, status)))
    for first, second in pairs:
        record = {
            "agent_id": first,
            "partner_id": second,
            "task_id": goal_id,
            "task_type": plan.intent,
            "success": integ["status"] == "completed",
        }
        ev.add("collaboration", f"collab-{_id(goal_id, first, second)}", record)


def _completion(ev: _Events, goal_id: str, integ: Integration) -> None:
    """The duration metric and the `goal_completion` event."""
    ev.add(
        "metric",
        f"metric-{goal_id}-duration",
        {"name": "goal_duration_s", "value": integ["duration_s"], "goal_id": goal_id},
    )
    ev.add(
        "event",
        f"goal-completion-{goal_id}",
        {
            "event_type": "goal_completion",
            "goal_id": goal_id,
            "status": integ["status"],
            "by_step": integ["by_step"],
            "by_agent": integ["by_agent"],
            "steps_prepared": integ.get("steps_prepared", []),
            "executor_calls": integ.get("executor_calls", []),
        },
        priority=Priority.HIGH,
    )


def decision_events(record: ApprovalRecord, entries: list[LedgerEntry]) -> list[SyncEvent]:
    """The Director's decisions as audit records, published when they are made.

    Ids are deterministic per run, round and step, so a gate that runs again
    after a crash republishes the same records rather than new ones.
    """
    return [
        SyncEvent(
            entity_type="audit",
            entity_id=audit_id(e.run_id, e.round, e.step_id),  # the executor's approval id
            version=int(e.at.timestamp() * 1000) * 1000 + Phase.DECIDED,
            priority=Priority.HIGH,
            data={
                "actor": e.by or "director",
                "actor_verified": e.by_verified,
                "action": e.decision,
                "step_id": e.step_id,
                "goal_id": record.goal_id,
                "run_id": e.run_id,
                "plan_id": e.plan_id,
                "reason": e.reason,
                "at": e.at.isoformat(),
                "estimated_cost_usd": e.estimated_cost_usd,
                "changes": e.changes,
                "requeued": e.requeued,
                "reasons_after_edit": e.reasons_after_edit,
            },
        )
        for e in entries
    ]


def _team_pairs(results: Mapping[str, Any], status: Mapping[str, str]) -> list[tuple[str, str]]:
    """A finished step's agent with each teammate whose answer it used."""
    pairs = set()
    for step_id, result in results.items():
        lead = str(result.get("agent_id") or "")
        if lead and status.get(step_id) in ("done", "prepared"):
            pairs |= {(min(lead, m), max(lead, m)) for m in result.get("team") or [] if m != lead}
    return sorted(pairs)


def _collaborations(
    plan: ExecutionPlan, assignments: Mapping[str, Assignment], status: Mapping[str, str]
) -> list[tuple[str, str]]:
    """Agent pairs where one's finished step fed another agent's step."""
    pairs: set[tuple[str, str]] = set()
    for step in plan.steps:
        for dep in step.dependencies:
            a = dep_agent.agent_id if (dep_agent := assignments.get(dep)) else ""
            b = own.agent_id if (own := assignments.get(step.id)) else ""
            if a and b and a != b and status.get(step.id) in ("done", "prepared"):
                pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)

"""The outcome of a goal as records: one pure function from final state to sync events.

Everything a run learned — goal, plan, steps, results, knowledge, the learned
pattern, agent activities, collaborations, approvals, metrics and the
`goal_completion` event — becomes a `SyncEvent` here, and only the
storage-sync node publishes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from argo_agents.approval.decisions import LedgerEntry
from argo_agents.approval.record import ApprovalRecord
from argo_agents.orchestrator.state import State
from argo_agents.planning.models import ExecutionPlan
from argo_agents.sync.events import Priority, SyncEvent


def _id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def integrate(state: State) -> dict[str, Any]:
    """Combined results by step and by agent, with the run's final status."""
    plan = ExecutionPlan.model_validate(state["plan"])
    status = state.get("step_status") or {}
    results = state.get("results") or {}
    by_agent: dict[str, list[str]] = {}
    for sid, r in results.items():
        by_agent.setdefault(r.get("agent_id", "?"), []).append(sid)
    rejected = [e["step_id"] for e in state.get("approval_ledger") or []
                if e["decision"] == "reject"]
    failed = [sid for sid, s in status.items() if s == "failed"]
    final = "failed" if failed else "rejected" if rejected else "completed"
    done = [s.id for s in plan.steps if status.get(s.id) == "done"]
    return {
        "status": final,
        "steps_done": done,
        "steps_failed": failed,
        "steps_skipped": [sid for sid, s in status.items() if s == "skipped"],
        "by_step": {sid: results[sid].get("summary", results[sid].get("error", ""))
                    for sid in plan.step_ids() if sid in results},
        "by_agent": {a: sorted(sids) for a, sids in sorted(by_agent.items())},
        "success_rate": round(len(done) / len(plan.steps), 3) if plan.steps else 0.0,
        "duration_s": round(sum(float(r.get("duration_s", 0)) for r in results.values()), 3),
        "learned_pattern": learn_pattern(plan, status, results),
    }


def learn_pattern(plan: ExecutionPlan, status: Mapping[str, str],
                  results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The run's execution pattern (digest §3 pattern learning)."""
    sequence = [s.action for s in plan.steps]
    ran = [s for s in plan.steps if status.get(s.id) in ("done", "failed")]
    success = bool(ran) and all(status.get(s.id) == "done" for s in ran)
    return {
        "id": f"pattern-{plan.intent}-{_id(*sequence)}",
        "task_type": plan.intent,
        "name": f"{plan.intent}: {' → '.join(sequence)}",
        "step_sequence": sequence,
        "agent_types": sorted({r.get("agent_kind", "") for r in results.values()} - {""}),
        "success": success,
        "failure_points": [s.action for s in plan.steps if status.get(s.id) == "failed"],
        "duration_s": sum(float(results.get(s.id, {}).get("duration_s", 0)) for s in ran),
    }


def merge_pattern(learned: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Fold this run into the stored pattern: running success rate and occurrences."""
    n = int((existing or {}).get("occurrences") or 0)
    rate = float((existing or {}).get("success_rate") or 0.0)
    won = 1.0 if learned["success"] else 0.0
    return {**learned, "occurrences": n + 1, "success_rate": round((rate * n + won) / (n + 1), 4),
            "text": learned["name"]}


def outcome_events(state: State, pattern: dict[str, Any]) -> list[SyncEvent]:
    """Every record of the run, ready for the sync engine."""
    plan = ExecutionPlan.model_validate(state["plan"])
    goal_id, integ = state["goal_id"], state["integration"]
    status = state.get("step_status") or {}
    results = state.get("results") or {}
    assignments = state.get("assignments") or {}
    director = state.get("director") or "director"
    ev: list[SyncEvent] = []

    def sid_(step_id: str) -> str:
        """Step ids repeat across plans (they are action names): scope them to the goal."""
        return f"{goal_id}.{step_id}"

    def add(entity_type: str, entity_id: str, data: dict[str, Any], **kw: Any) -> None:
        ev.append(SyncEvent(entity_type=entity_type, entity_id=entity_id, data=data, **kw))

    add("goal", goal_id, {
        "text": state["goal"], "director": director, "budget_usd": state.get("budget_usd"),
        "intent": plan.intent, "subject": plan.subject, "status": integ["status"],
        "relations": [{"type": "HAS_PLAN", "label": "Plan", "id": plan.plan_id}]})
    add("plan", plan.plan_id, {
        "text": " ".join(plan.rationale) or plan.goal, "goal_id": goal_id,
        "source": plan.source, "steps": plan.step_ids(),
        "estimated_duration_s": plan.estimated_duration_s, "repair_notes": plan.repair_notes,
        "relations": [{"type": "HAS_STEP", "label": "Step", "id": sid_(s.id)}
                      for s in plan.steps]})
    for step in plan.steps:
        a = assignments.get(step.id, {})
        rel = [{"type": "DEPENDS_ON", "label": "Step", "id": sid_(d)} for d in step.dependencies]
        if a:
            rel.append({"type": "ASSIGNED_TO", "label": "Agent", "id": a["agent_id"]})
        add("step", sid_(step.id), {
            "text": step.description, "action": step.action, "category": step.category,
            "status": status.get(step.id, "pending"), "goal_id": goal_id,
            "estimated_cost_usd": step.estimated_cost_usd, "agent_id": a.get("agent_id"),
            "assignment_reason": a.get("reason"), "error": (state.get("errors") or {}).get(step.id),
            "relations": rel})
    for sid, r in results.items():
        if r.get("failed"):
            continue
        add("step_result", sid_(sid) + "-result", {
            "text": r["summary"] + "\n" + "\n".join(r.get("findings", [])),
            "summary": r["summary"], "findings": r.get("findings", []),
            "confidence": r.get("confidence", 0.5), "agent_id": r["agent_id"], "step_id": sid,
            "goal_id": goal_id,
            "relations": [{"type": "RESULT_OF", "label": "Step", "id": sid_(sid)}]},
            confidence=float(r.get("confidence", 0.5)))
        for k in r.get("knowledge", []):
            add("knowledge", k["id"], {
                "text": k["text"], "title": k["title"], "tags": k.get("tags", []),
                "goal_id": goal_id, "relations": [
                    {"type": "DERIVED_FROM", "label": "StepResult", "id": sid_(sid) + "-result"}]},
                confidence=float(r.get("confidence", 0.5)))
    for sid, r in results.items():
        add("agent_activity", sid_(sid) + "-activity", {
            "agent_id": r.get("agent_id"), "task_id": goal_id, "task_type": plan.intent,
            "activity_type": plan.step(sid).action, "success": not r.get("failed"),
            "duration_s": float(r.get("duration_s", 0))})
    for agent_id, sids in integ["by_agent"].items():
        kind = next((results[s].get("agent_kind") for s in sids if s in results), None)
        add("agent", agent_id, {"text": f"{kind} agent {agent_id}", "kind": kind,
                                "last_goal_id": goal_id, "steps_in_last_goal": len(sids)})
    add("pattern", pattern["id"], pattern, confidence=pattern["success_rate"])
    for first, second in _collaborations(plan, assignments, status):
        add("collaboration", f"collab-{_id(goal_id, first, second)}", {
            "agent_id": first, "partner_id": second, "task_id": goal_id, "task_type": plan.intent,
            "success": integ["status"] == "completed"})
    add("metric", f"metric-{goal_id}-duration", {
        "name": "goal_duration_s", "value": integ["duration_s"], "goal_id": goal_id})
    add("event", f"goal-completion-{goal_id}", {
        "event_type": "goal_completion", "goal_id": goal_id, "status": integ["status"],
        "by_step": integ["by_step"], "by_agent": integ["by_agent"]}, priority=Priority.HIGH)
    return ev


def decision_events(record: ApprovalRecord, entries: list[LedgerEntry]) -> list[SyncEvent]:
    """The Director's decisions as audit records, published when they are made.

    Ids are deterministic per run, round and step, so a gate that runs again
    after a crash republishes the same records rather than new ones.
    """
    return [SyncEvent(
        entity_type="audit", entity_id=f"audit-{_id(e.run_id, e.round, e.step_id)}",
        priority=Priority.HIGH, data={
            "actor": e.by or "director", "actor_verified": e.by_verified, "action": e.decision,
            "step_id": e.step_id, "goal_id": record.goal_id, "run_id": e.run_id,
            "plan_id": e.plan_id, "reason": e.reason, "at": e.at.isoformat(),
            "estimated_cost_usd": e.estimated_cost_usd, "changes": e.changes,
            "requeued": e.requeued, "reasons_after_edit": e.reasons_after_edit})
        for e in entries]


def _collaborations(plan: ExecutionPlan, assignments: dict[str, dict[str, Any]],
                    status: Mapping[str, str]) -> list[tuple[str, str]]:
    """Agent pairs where one's finished step fed another agent's step."""
    pairs = set()
    for step in plan.steps:
        for dep in step.dependencies:
            a = assignments.get(dep, {}).get("agent_id")
            b = assignments.get(step.id, {}).get("agent_id")
            if a and b and a != b and status.get(step.id) == "done":
                pairs.add(tuple(sorted((a, b))))
    return sorted(pairs)  # type: ignore[arg-type]

"""Nodes before execution: interpret the goal, decompose it, assign agents."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Overwrite
from typing_extensions import TypedDict

from argo_agents.agents.models import ModelDump
from argo_agents.assignment.hungarian import assign_batch
from argo_agents.assignment.registry import AgentRegistry
from argo_agents.assignment.scaling import AgentPool, ScalingDecision, plan_scaling
from argo_agents.assignment.scoring import Assignment, select_agent
from argo_agents.assignment.teams import form_team
from argo_agents.learning.history import LearnedHistory
from argo_agents.learning.prediction import predict_step
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.outcome import planned_events, run_version, scaling_events
from argo_agents.orchestrator.recall import (
    recall_history,
    recall_patterns,
    recall_similar_goals,
)
from argo_agents.orchestrator.state import RunStatus, State, StepStatus, plan_of
from argo_agents.planning.goal_input import validate_goal_input
from argo_agents.planning.intents import parse_goal
from argo_agents.planning.llm import FALLBACK_PREFIX as PLAN_FALLBACK
from argo_agents.planning.llm import make_plan
from argo_agents.planning.models import ExecutionPlan, dependents_closure, make_goal_id
from argo_agents.planning.offline import PlanningContext, candidate_actions
from argo_agents.run_choices import allowed_registry, services_for_run, unassignable_steps
from argo_agents.services import Services, ServicesProvider
from argo_agents.structured import fallback_event
from argo_agents.sync.events import Priority, SyncEvent

# Before the plan's phase (outcome.Phase.PLANNED = 1): the goal as first interpreted.
INTERPRETED_PHASE = 0
# How long assign_agents waits for the plan to reach the stores before agents read them.
PLAN_APPLY_TIMEOUT_S = 10.0
# Similar goals cited in the rationale; the Director's decisions are read from up to
# DECISION_SIMILAR goals at least DECISION_MIN_SIMILARITY alike (the same goal re-typed, or
# the same kind of work on another subject), so a rejection shapes only goals like it.
CITED_SIMILAR = 3
DECISION_SIMILAR = 50
DECISION_MIN_SIMILARITY = 0.65


class RunStart(TypedDict):
    """The state update that starts a new run on a thread.

    A new goal on a thread is a new run: nothing of an earlier run there
    (decisions, statuses, results) carries over. Reducer channels are reset
    with `Overwrite`, which is why this is not a `State`.
    """

    goal: str
    goal_id: str
    run_id: str
    status: RunStatus
    started_at: str
    model: str | None
    planning_context: ModelDump
    plan: None
    assignments: dict[str, ModelDump]
    approval_ledger: list[ModelDump]
    pending_approvals: list[ModelDump]
    approval_error: None
    integration: None
    sync_receipt: None
    step_status: Overwrite
    results: Overwrite
    errors: Overwrite
    attempts: Overwrite
    published: Overwrite


def goal_event(state: State, goal: str, goal_id: str, run_id: str, started_at: str) -> SyncEvent:
    """The Goal entity as interpreted: in every store from the start of the run."""
    parsed = parse_goal(goal)
    return SyncEvent(
        entity_type="goal",
        entity_id=goal_id,
        version=run_version(started_at, INTERPRETED_PHASE),
        priority=Priority.HIGH,
        data={
            "text": goal,
            "director": state.get("director") or "director",
            "budget_usd": state.get("budget_usd"),
            "intent": parsed.intent,
            "subject": parsed.subject,
            "status": "interpreted",
            "run_id": run_id,
        },
    )


def _publish_and_apply(services: Services, events: list[SyncEvent], timeout_s: float) -> list[str]:
    """Publish ``events`` and apply the outbox, so the agents that follow can read them."""
    ids = services.engine.publish(events)
    services.engine.drain(timeout_s=timeout_s)
    return ids


def _thread_id(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id", ""))


def assign_plan(
    plan: ExecutionPlan,
    registry: AgentRegistry,
    workloads: dict[str, int],
    history: LearnedHistory | None = None,
    skip: Collection[str] = (),
) -> dict[str, Assignment]:
    """An assignment per step, level by level, each with its predicted duration and team.

    One step of a level is scored alone; several run together and are assigned
    as a batch (the Hungarian algorithm). ``workloads`` grows with the load this
    plan adds, so later levels see it. Steps in ``skip`` (that will not run) get none.
    """
    assignments: dict[str, Assignment] = {}
    for group in plan.levels():
        steps = [plan.step(sid) for sid in group if sid not in skip]
        if not steps:
            continue
        if len(steps) == 1:
            chosen = [select_agent(steps[0], registry, workloads, history)]
        else:
            chosen = assign_batch(steps, registry, workloads, history)
        for a in chosen:
            step, agent = plan.step(a.step_id), registry.get(a.agent_id)
            load = workloads.get(a.agent_id, 0)
            team = form_team(step, registry, a.agent_id, history)
            reason = f"{a.reason}; {team.reason}" if team else a.reason
            assignments[a.step_id] = a.model_copy(
                update={
                    "prediction": predict_step(step, agent, load, history),
                    "team": team,
                    "reason": reason,
                }
            )
            workloads[a.agent_id] = load + 1
    return assignments


class PlanningNodes:
    """interpret_goal → decompose_goal → assign_agents."""

    def __init__(self, services: ServicesProvider) -> None:
        self._services = services

    async def interpret_goal(self, state: State, runtime: Runtime[Context]) -> RunStart:
        """Check the goal, give it an id, and recall what the stores know about it."""
        config = get_config()
        goal = validate_goal_input(
            state.get("goal"), state.get("budget_usd"), state.get("director")
        )
        goal_id = make_goal_id(goal, salt=_thread_id(config))
        services = await asyncio.to_thread(self._services)
        services_for_run(services, runtime.context)  # a model it cannot have: refused now
        intent = parse_goal(goal).intent
        patterns = await asyncio.to_thread(recall_patterns, services, intent)
        similar = await asyncio.to_thread(
            recall_similar_goals, services, goal, exclude_id=goal_id, k=DECISION_SIMILAR
        )
        history = await asyncio.to_thread(
            recall_history,
            services,
            candidate_actions(goal, PlanningContext(patterns=patterns)),
            exclude_goal_id=goal_id,
            decision_goal_ids=[
                g["id"] for g in similar if g["similarity"] >= DECISION_MIN_SIMILARITY
            ],
        )
        run_id, started_at = f"run-{uuid.uuid4().hex}", datetime.now(UTC).isoformat()
        # The Goal node exists from here on, so the agents' graph reads can start from it.
        event = goal_event(state, goal, goal_id, run_id, started_at)
        published = await asyncio.to_thread(services.engine.publish, [event])
        return {
            "goal": goal,
            "goal_id": goal_id,
            "run_id": run_id,
            "status": "planning",
            "started_at": started_at,
            "model": getattr(runtime.context, "model", None),
            "planning_context": {
                "patterns": [p.model_dump() for p in patterns],
                "similar_goals": similar[:CITED_SIMILAR],
                "history": history.model_dump(mode="json") if history else None,
            },
            "plan": None,
            "assignments": {},
            "approval_ledger": [],
            "pending_approvals": [],
            "approval_error": None,
            "integration": None,
            "sync_receipt": None,
            "step_status": Overwrite({}),
            "results": Overwrite({}),
            "errors": Overwrite({}),
            "attempts": Overwrite({}),
            "published": Overwrite(published),
        }

    async def decompose_goal(self, state: State, runtime: Runtime[Context]) -> State:
        """Decompose the goal into a validated DAG (LLM when configured, else rules)."""
        config = get_config()
        services = services_for_run(await asyncio.to_thread(self._services), runtime.context)
        context = PlanningContext.model_validate(state.get("planning_context") or {})
        plan = await asyncio.to_thread(
            make_plan,
            state["goal"],
            model=services.model,
            context=context,
            salt=_thread_id(config),
            fallback=services.settings.llm_fallback,  # ARGO_LLM_FALLBACK=never: an error
        )
        return {
            "plan": plan.model_dump(mode="json"),
            "step_status": {s.id: "pending" for s in plan.steps},
        }

    async def assign_agents(self, state: State, runtime: Runtime[Context]) -> State:
        """Score agents per step; the Hungarian algorithm for steps that run together."""
        services = await asyncio.to_thread(self._services)
        plan = plan_of(state)
        registry, workloads, scaled = await asyncio.to_thread(_scaled_registry, services, plan)
        history = PlanningContext.model_validate(state.get("planning_context") or {}).history
        kinds = runtime.context.agents if runtime.context else None
        allowed = allowed_registry(registry, kinds)
        refused = unassignable_steps(plan, allowed, kinds)
        blocked = {sid: "a step it depends on failed" for sid in dependents_closure(plan, refused)}
        blocked.update(refused)
        assignments = (
            assign_plan(plan, allowed, workloads, history, skip=blocked) if allowed else {}
        )
        # the goal and plan are in the stores before anything runs, so agents can read them
        events = planned_events(state, assignments) + scaling_events(state, scaled)
        if fell_back := [n for n in plan.repair_notes if n.startswith(PLAN_FALLBACK)]:
            events.append(fallback_event(state["goal_id"], "plan", fell_back[0]))
        timeout = runtime.context.sync_timeout_s if runtime.context else PLAN_APPLY_TIMEOUT_S
        published = await asyncio.to_thread(
            _publish_and_apply, services, events, min(timeout, PLAN_APPLY_TIMEOUT_S)
        )
        dumped = {sid: a.model_dump(mode="json") for sid, a in assignments.items()}
        if not blocked:
            return {"assignments": dumped, "published": published}
        status: dict[str, StepStatus] = {
            sid: "failed" if sid in refused else "skipped" for sid in blocked
        }
        return {"assignments": dumped, "published": published, "step_status": status,
                "errors": blocked}  # fmt: skip


def _scaled_registry(
    services: Services, plan: ExecutionPlan
) -> tuple[AgentRegistry, dict[str, int], list[ScalingDecision]]:
    """The registry with the instances scaling keeps (adding or retiring one now if the
    load calls for it), the agents' workloads, and what was decided."""
    base, pool = services.registry, pool_of(services)
    registry = pool.registry(base)
    workloads = dict(services.stores.cache.workloads(registry.agent_ids()))
    base_ids = set(base.agent_ids())
    added = [p for p in registry.profiles if p.agent_id not in base_ids]
    decisions = plan_scaling(registry, added, workloads, plan.steps)
    if decisions:
        pool.apply(base, decisions)
        registry = pool.registry(base)
    return registry, workloads, decisions


def pool_of(services: Services) -> AgentPool:
    """The scaled instances of this deployment (one pool per sync namespace)."""
    return AgentPool(services.stores.records, f"{services.engine.config.namespace}:agents:pool")

"""Running the plan: ready steps fan out in parallel (`Send`), results fan back in.

A step runs on the agent subgraph of its assignment. It is tried up to
`Context.max_step_attempts` times; then it is marked failed with its error
and every step that depends on it is skipped. Workloads in Redis go up when a
step starts and down when it ends, whatever the outcome.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Send
from pydantic import TypeAdapter

from argo_agents.agents.models import AgentKind
from argo_agents.approval.record import load_record
from argo_agents.assignment.scoring import Assignment
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.outcome import step_events
from argo_agents.orchestrator.state import (
    State,
    StepFailure,
    StepOutcome,
    StepRun,
    StepTask,
    plan_of,
)
from argo_agents.planning.models import PlanStep, dependents_closure, ready_steps
from argo_agents.services import Services, ServicesProvider

log = logging.getLogger(__name__)

FINISHED = ("done", "failed", "skipped")
# An assignment names its agent's kind as any string; the subgraphs are keyed by AgentKind.
_AGENT_KIND: TypeAdapter[AgentKind] = TypeAdapter(AgentKind)


def route_ready_steps(state: State) -> list[Send] | Literal["integrate_results"]:
    """Send every step whose dependencies are done; integrate when nothing is left."""
    plan = plan_of(state)
    status = state.get("step_status") or {}
    done = {sid for sid, s in status.items() if s == "done"}
    blocked = {sid for sid, s in status.items() if s in ("failed", "skipped")}
    ready = ready_steps(plan, done, blocked)
    if not ready:
        return "integrate_results"
    results = state.get("results") or {}
    assignments = state.get("assignments") or {}
    return [
        Send(
            "run_agent_step",
            StepTask(
                goal=state["goal"],
                goal_id=state["goal_id"],
                run_id=state["run_id"],
                started_at=state["started_at"],
                intent=plan.intent,
                plan=plan.model_dump(mode="json"),
                subject=plan.subject,
                step=step.model_dump(mode="json"),
                assignment=assignments[step.id],
                upstream={d: results[d] for d in step.dependencies if d in results},
            ),
        )
        for step in ready
    ]


def _not_cleared(services: Services, run_id: str, step: PlanStep) -> str | None:
    """Why the approval gate's record does not allow this step to run now (None if it does).

    The last line of defence: whatever a client wrote into the state, only a
    step the gate cleared, unchanged since, runs, and only until the run closes.
    """
    record = load_record(services.stores.records, run_id)
    if record is None or not record.may_run(step):
        return (
            "not cleared by the approval gate for this run (the step was changed after "
            "approval, the run is over, or it never passed the gate); nothing was run"
        )
    return None


class ExecutionNodes:
    """run_agent_step (one per ready step, in parallel) and collect_results."""

    def __init__(self, services: ServicesProvider) -> None:
        self._services = services

    async def run_agent_step(self, task: StepTask, runtime: Runtime[Context]) -> State:
        """Run one step on its assigned agent's subgraph, with retries; publish its records."""
        services = await asyncio.to_thread(self._services)
        step = PlanStep.model_validate(task["step"])
        agent = Assignment.model_validate(task["assignment"])
        if refusal := await asyncio.to_thread(_not_cleared, services, task["run_id"], step):
            log.error("run %s: refused to run step %s: %s", task["run_id"], step.id, refusal)
            result: StepOutcome = StepFailure(
                step_id=step.id,
                agent_id=agent.agent_id,
                agent_kind=agent.agent_kind,
                failed=True,
                error=refusal,
            )
            update: State = {"step_status": {step.id: "failed"}, "errors": {step.id: refusal}}
        else:
            result, update = await self._run(services, task, agent, runtime)
        events = step_events(
            task,
            agent,
            result,
            update["step_status"][step.id],
            update.get("errors", {}).get(step.id),
        )
        published = await asyncio.to_thread(services.engine.publish, events)
        return {**update, "published": published}

    async def _run(
        self, services: Services, task: StepTask, agent: Assignment, runtime: Runtime[Context]
    ) -> tuple[StepOutcome, State]:
        """The step's outcome on its agent, and the state update that records it."""
        step_id = agent.step_id
        graph = services.agent_graphs[_AGENT_KIND.validate_python(agent.agent_kind)]
        attempts = max(1, runtime.context.max_step_attempts if runtime.context else 2)
        cache = services.stores.cache
        await asyncio.to_thread(cache.add_workload, agent.agent_id, 1)
        started = time.monotonic()
        error = ""
        try:
            for attempt in range(1, attempts + 1):
                try:
                    out = await graph.ainvoke(
                        {
                            "goal": task["goal"],
                            "goal_id": task["goal_id"],
                            "intent": task["intent"],
                            "subject": task["subject"],
                            "step": task["step"],
                            "agent_id": agent.agent_id,
                            "upstream": task["upstream"],
                        }
                    )
                    ran = StepRun.model_validate(
                        {
                            **out["result"],
                            "attempts": attempt,
                            "duration_s": round(time.monotonic() - started, 3),
                        }
                    )
                    return ran, {
                        "results": {step_id: ran.model_dump(mode="json")},
                        "step_status": {step_id: "done"},
                        "attempts": {step_id: attempt},
                    }
                except Exception as exc:  # an agent may fail in any way; the policy retries
                    error = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "step %s attempt %d/%d failed: %s", step_id, attempt, attempts, error
                    )
        finally:
            await asyncio.to_thread(cache.add_workload, agent.agent_id, -1)
        failure = StepFailure(
            step_id=step_id,
            agent_id=agent.agent_id,
            agent_kind=agent.agent_kind,
            failed=True,
            error=error,
            duration_s=round(time.monotonic() - started, 3),
        )
        return failure, {
            "step_status": {step_id: "failed"},
            "attempts": {step_id: attempts},
            "errors": {step_id: f"failed after {attempts} attempt(s): {error}"},
            "results": {step_id: failure.model_dump(mode="json")},
        }

    def collect_results(self, state: State) -> State:
        """Skip the dependents of failed steps; the router then sends what is ready."""
        plan = plan_of(state)
        status = state.get("step_status") or {}
        failed = [sid for sid, s in status.items() if s == "failed"]
        skip = {sid for sid in dependents_closure(plan, failed) if status.get(sid) not in FINISHED}
        return {
            "step_status": {sid: "skipped" for sid in skip},
            "errors": {sid: "a step it depends on failed" for sid in skip},
        }

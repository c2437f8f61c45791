"""Running the plan: ready steps fan out in parallel (`Send`), results fan back in.

A step runs on the agent subgraph of its assignment. A step that changes the
world then acts through the executor routed to it, with the approval the gate
recorded; with none it ends ``prepared`` (its result is a change plan), and a
dependent treats it as finished. It is tried up to
`Context.max_step_attempts` times; then it is marked failed with its error
and every step that depends on it is skipped. Workloads in Redis go up when a
step starts and down when it ends, whatever the outcome.

A step whose agent cannot proceed (`EscalationNeeded`: a tied vote, the
`escalate_to_director` tool, an executor refused access, a cost above the
agent's remit) is not retried: its question goes into the gate's escalation
record, the step waits ``awaiting_director``, and the router sends the run back
to the gate, which asks the Director. The step then runs again with the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Literal

import orjson
from langgraph.runtime import Runtime
from langgraph.types import Send
from pydantic import TypeAdapter

from argo_agents.agents.director import cite_answers
from argo_agents.agents.models import AgentKind, Artefact
from argo_agents.agents.state import AgentInput, DirectorAnswer, TeamMate, agent_run
from argo_agents.approval.classifier import classify_plan
from argo_agents.approval.escalation import MAX_ESCALATIONS_PER_STEP, EscalationNeeded
from argo_agents.approval.record import load_record
from argo_agents.assignment.registry import AgentRegistry, UnknownAgentError
from argo_agents.assignment.scoring import Assignment
from argo_agents.collaboration.escalation import raised_events
from argo_agents.executors.arguments import build_arguments
from argo_agents.executors.models import Approval, ExecutorError, NotApprovedError
from argo_agents.executors.registry import acting_categories, approval_of
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.escalation_record import (
    EscalationRecord,
    load_escalations,
    raise_escalation,
)
from argo_agents.orchestrator.escalation_triggers import (
    access_problem,
    director_answer,
    missing_access,
    over_remit,
)
from argo_agents.orchestrator.outcome import step_events
from argo_agents.orchestrator.progress import ProgressData, report_progress
from argo_agents.orchestrator.state import (
    State,
    StepFailure,
    StepOutcome,
    StepRun,
    StepStatus,
    StepTask,
    plan_of,
    unfinished_dependents,
)
from argo_agents.planning.models import PlanStep, ready_steps
from argo_agents.run_choices import services_for_model
from argo_agents.services import Services, ServicesProvider

log = logging.getLogger(__name__)

# A prepared step's change plan is what its dependents build on.
SATISFIED = ("done", "prepared")
# An assignment names its agent's kind as any string; the subgraphs are keyed by AgentKind.
_AGENT_KIND: TypeAdapter[AgentKind] = TypeAdapter(AgentKind)


def route_ready_steps(
    state: State,
) -> list[Send] | Literal["integrate_results", "await_approval"]:
    """Send every step whose dependencies are done; ask the Director first when a step
    escalated; integrate when nothing is left."""
    plan = plan_of(state)
    status = state.get("step_status") or {}
    if any(s == "awaiting_director" for s in status.values()):
        return "await_approval"  # the gate asks; nothing else starts until it is answered
    done = {sid for sid, s in status.items() if s in SATISFIED}
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
                model=state.get("model"),
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
        # the model the run was submitted with, not the resuming caller's (older runs: theirs)
        model = task["model"] if "model" in task else getattr(runtime.context, "model", None)
        services = services_for_model(services, model)
        step = PlanStep.model_validate(task["step"])
        agent = Assignment.model_validate(task["assignment"])
        if refusal := await asyncio.to_thread(_not_cleared, services, task["run_id"], step):
            log.error("run %s: refused to run step %s: %s", task["run_id"], step.id, refusal)
            result: StepOutcome | None = StepFailure(
                step_id=step.id,
                agent_id=agent.agent_id,
                agent_kind=agent.agent_kind,
                failed=True,
                error=refusal,
            )
            update: State = {"step_status": {step.id: "failed"}, "errors": {step.id: refusal}}
        else:
            result, update = await self._run(services, task, agent, runtime)
        if result is None:  # escalated: nothing finished, the question is recorded
            return update
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
    ) -> tuple[StepOutcome | None, State]:
        """The step's outcome on its agent and the state update that records it; no
        outcome (None) when the step escalated to the Director."""
        records = services.stores.records
        asked = await asyncio.to_thread(load_escalations, records, task["run_id"])
        answers = [director_answer(e) for e in asked.answered_for(agent.step_id)]
        step = PlanStep.model_validate(task["step"])
        remit = getattr(runtime.context, "agent_remit_usd", None)
        try:
            if need := over_remit(step, remit, answers):
                raise need
            return await self._attempts(services, task, agent, runtime, answers)
        except EscalationNeeded as need:
            return await self._escalate(services, task, agent, need, asked)

    async def _attempts(
        self,
        services: Services,
        task: StepTask,
        agent: Assignment,
        runtime: Runtime[Context],
        answers: list[DirectorAnswer],
    ) -> tuple[StepOutcome, State]:
        """The step on its agent, tried up to `Context.max_step_attempts` times."""
        step_id = agent.step_id
        graph = services.agent_graphs[_AGENT_KIND.validate_python(agent.agent_kind)]
        attempts = max(1, runtime.context.max_step_attempts if runtime.context else 2)
        cache = services.stores.cache
        await asyncio.to_thread(cache.add_workload, agent.agent_id, 1)
        started = time.monotonic()
        error = ""
        team = teammates(services.registry, agent, task)  # the same on every attempt
        try:
            for attempt in range(1, attempts + 1):
                report_progress(
                    {"event": "step_started", "step_id": step_id, **_who(agent, attempt)}
                )
                try:
                    agent_input = _agent_input(task, agent, runtime.context, answers, team)
                    out = await graph.ainvoke(agent_input)
                    ran = StepRun.model_validate({**out["result"], "attempts": attempt})
                    ran, status = await self._act(services, task, cite_answers(ran, answers))
                    ran.duration_s = round(time.monotonic() - started, 3)  # executor included
                    return ran, {
                        "results": {step_id: ran.model_dump(mode="json")},
                        "step_status": {step_id: status},
                        "attempts": {step_id: attempt},
                    }
                except EscalationNeeded:
                    raise  # not retried: only the Director can unblock it
                except NotApprovedError as exc:  # not retried: the gate's record will not change
                    error, attempts = f"{type(exc).__name__}: {exc}", attempt
                    log.error("run %s: step %s: %s", task["run_id"], step_id, exc)
                    break
                except Exception as exc:  # an agent may fail in any way; the policy retries
                    error = f"{type(exc).__name__}: {exc}"
                    log.warning(
                        "step %s attempt %d/%d failed: %s", step_id, attempt, attempts, error
                    )
        finally:
            await asyncio.to_thread(cache.add_workload, agent.agent_id, -1)
        return _failed(agent, attempts, error, time.monotonic() - started)

    async def _escalate(
        self,
        services: Services,
        task: StepTask,
        agent: Assignment,
        need: EscalationNeeded,
        asked: EscalationRecord,
    ) -> tuple[StepOutcome | None, State]:
        """Record the question and leave the step waiting for the Director (or fail it when
        it has asked too often already: the answers did not let it proceed)."""
        step_id = agent.step_id
        if len(asked.answered_for(step_id)) >= MAX_ESCALATIONS_PER_STEP:
            error = (
                f"escalated {MAX_ESCALATIONS_PER_STEP} times and still cannot proceed; last: "
                f"{need} (evidence: {'; '.join(need.evidence) or 'none'})"
            )
            return _failed(agent, 1, error, 0.0)
        esc, new = await asyncio.to_thread(
            raise_escalation,
            services.stores.records,
            run_id=task["run_id"],
            goal_id=task["goal_id"],
            step_id=step_id,
            agent_id=agent.agent_id,
            agent_kind=agent.agent_kind,
            need=need,
        )
        published = await asyncio.to_thread(services.engine.publish, raised_events(esc))
        log.info("run %s: step %s escalated (%s): %s", task["run_id"], step_id, esc.id, need)
        report_progress(
            {"event": "escalated", "step_id": step_id, "escalation_id": esc.id,
             "reason": esc.reason, "agent_id": agent.agent_id, "new": new}
        )  # fmt: skip
        return None, {
            "step_status": {step_id: "awaiting_director"},
            "escalations": {esc.id: esc.model_dump(mode="json")},
            "published": published,
        }

    async def _act(
        self, services: Services, task: StepTask, ran: StepRun
    ) -> tuple[StepRun, StepStatus]:
        """Let an executor act for a step that changes the world, under its recorded approval.

        The approval is read again from the gate's record here, right before
        acting (not from graph state); an executor's failure raises, so the step
        follows the retry path. With no executor the step is only prepared.
        """
        record = await asyncio.to_thread(load_record, services.stores.records, task["run_id"])
        step = PlanStep.model_validate(task["step"])
        plan, goal = (record.plan, record.goal) if record else (plan_of(task), task["goal"])
        categories = acting_categories(step, classify_plan(plan, goal).get(step.id, []))
        if not categories:
            return ran, "done"
        approval = approval_of(record, step)
        executor = services.executors.for_step(step, categories)
        if executor is None:
            return _prepared(ran, step, categories, approval), "prepared"
        try:
            execution = await executor.execute(step, approval)
        except ExecutorError as exc:
            problem = None if isinstance(exc, NotApprovedError) else access_problem(exc)
            if problem is None:
                raise  # an ordinary failure: the retry path
            raise missing_access(step, executor.name, problem) from exc
        log.info(
            "run %s: step %s executed by %s (approval %s)",
            task["run_id"],
            step.id,
            executor.name,
            approval.approval_id,
        )
        return ran.model_copy(update={"execution": execution}), "done"

    def collect_results(self, state: State) -> State:
        """Skip the dependents of failed steps; the router then sends what is ready."""
        plan = plan_of(state)
        status = state.get("step_status") or {}
        failed = [sid for sid, s in status.items() if s == "failed"]
        skip = unfinished_dependents(plan, failed, status)
        return {
            "step_status": {sid: "skipped" for sid in skip},
            "errors": {sid: "a step it depends on failed" for sid in skip},
        }


def _prepared(
    ran: StepRun, step: PlanStep, categories: Sequence[str], approval: Approval
) -> StepRun:
    """The agent's result as a change plan: what an executor would have been asked to do."""
    why = (
        f"no executor is configured for action {step.action!r} or categories "
        f"{', '.join(categories)} (ARGO_EXECUTORS); nothing outside ARGO was changed"
    )
    call = orjson.dumps(build_arguments(None, step, approval), option=orjson.OPT_INDENT_2)
    lines = [
        f"Change plan for {step.action}: {step.description}",
        f"Status: prepared, not executed — {why}.",
        f"Cleared by approval {approval.approval_id} ({approval.decision}"
        + (f" by {approval.by}" if approval.by else "")
        + ").",
        "What the agent found:",
        *(f"- {f}" for f in ran.findings),
        "What an executor would receive:",
        call.decode(),
    ]
    plan = Artefact(
        name=f"change plan: {step.action}", kind="change_plan", content="\n".join(lines)
    )
    return ran.model_copy(
        update={
            "summary": f"Prepared, not executed: {ran.summary}",
            "artefacts": [*ran.artefacts, plan],
            "not_executed": why,
        }
    )


def _who(agent: Assignment, attempt: int) -> ProgressData:
    return {"agent_id": agent.agent_id, "attempt": attempt}


def _failed(
    agent: Assignment, attempts: int, error: str, seconds: float
) -> tuple[StepOutcome, State]:
    """A failed step's outcome and the state update that records it."""
    step_id = agent.step_id
    failure = StepFailure(
        step_id=step_id,
        agent_id=agent.agent_id,
        agent_kind=agent.agent_kind,
        failed=True,
        error=error,
        duration_s=round(seconds, 3),
    )
    return failure, {
        "step_status": {step_id: "failed"},
        "attempts": {step_id: attempts},
        "errors": {step_id: f"failed after {attempts} attempt(s): {error}"},
        "results": {step_id: failure.model_dump(mode="json")},
    }


def teammates(registry: AgentRegistry, agent: Assignment, task: StepTask) -> list[TeamMate]:
    """The step's team besides its lead, each with the capabilities it brings that the
    lead lacks (a member the registry no longer has is left out)."""
    if agent.team is None:
        return []
    wanted = list(PlanStep.model_validate(task["step"]).required_capabilities)
    try:
        lead = registry.get(agent.agent_id).capabilities
    except UnknownAgentError:
        lead = frozenset()
    mates: list[TeamMate] = []
    for member in agent.team.members:
        if member == agent.agent_id:
            continue
        try:
            profile = registry.get(member)
        except UnknownAgentError:
            continue
        covers = [c for c in wanted if c in profile.capabilities and c not in lead]
        mates.append({"agent_id": member, "kind": profile.kind, "covers": covers})
    return mates


def _agent_input(
    task: StepTask,
    agent: Assignment,
    context: Context | None,
    answers: list[DirectorAnswer] | None = None,
    team: list[TeamMate] | None = None,
) -> AgentInput:
    """What the step's agent subgraph is invoked with (the Director's answers and the
    step's teammates, if any)."""
    found: AgentInput = {
        "goal": task["goal"],
        "goal_id": task["goal_id"],
        "intent": task["intent"],
        "subject": task["subject"],
        "step": task["step"],
        "agent_id": agent.agent_id,
        "upstream": task["upstream"],
        "run": agent_run(task, context),
    }
    if answers:
        found["director_answers"] = answers
    if team:
        found["team"] = team
    return found

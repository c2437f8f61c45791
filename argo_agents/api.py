"""The Python API: `Argo` submits goals, resumes approvals and reads runs.

    from argo_agents import Argo
    with Argo.local() as argo:
        run = argo.submit_goal("optimise the checkout service's query latency by 40%")
        if run.status == "awaiting_approval":
            decisions = {p.step_id: "approve" for p in run.pending_approvals}
            run = argo.resume(run.thread_id, decisions)

Sync methods wrap the async twins (`asubmit_goal`, `aresume`, `aget_run`, ...) and
work inside a running event loop too; `stream_goal`/`astream_goal` yield typed
events (`argo_agents.run_events`) as the run goes.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypeVar

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, Field, ValidationError

from argo_agents.approval.decisions import InvalidResumeError, LedgerEntry, parse_resume
from argo_agents.approval.escalation import (
    Escalation,
    InvalidEscalationAnswerError,
    parse_answers,
)
from argo_agents.approval.identity import AUTH_USER_KEY, verified_user
from argo_agents.approval.policy import ApprovalRequest
from argo_agents.assignment.scoring import Assignment
from argo_agents.bootstrap import Services, build_services
from argo_agents.config import Settings
from argo_agents.executors.models import ExecutionRecord
from argo_agents.ingest.models import IngestProgress, IngestReport, KnowledgeHit
from argo_agents.orchestrator.checkpoints import open_checkpointer
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.errors import (
    NotAwaitingApprovalError,
    RunNotContinuableError,
    RunNotFoundError,
    ThreadBusyError,
)
from argo_agents.orchestrator.graph import build_orchestrator
from argo_agents.orchestrator.state import (
    Integration,
    State,
    StepOutcome,
    StepRun,
    StepStatus,
    assignments_of,
    ledger_of,
    plan_of,
    results_of,
)
from argo_agents.planning.goal_input import validate_goal_input
from argo_agents.planning.models import ExecutionPlan
from argo_agents.run_events import Progress as StreamProgress
from argo_agents.run_events import RunEnded, RunEvent, events_of_update, rebuild_models
from argo_agents.sync.reports import SyncReceipt

RunStatus = Literal[
    "awaiting_approval",
    "awaiting_director",
    "running",
    "stalled",
    "completed",
    "failed",
    "rejected",
]
"""``awaiting_director``: paused on an agent's escalation (answer it with `Argo.answer`)."""
Progress = Callable[[str, dict[str, Any]], None]
"""Called with (node, its state update) as each node finishes, and with
(`PROGRESS_NODE`, data) for what a long node reports while it runs."""
PROGRESS_NODE = "__progress__"
T = TypeVar("T")
log = logging.getLogger(__name__)


class GoalRun(BaseModel):
    """A goal's run as the Director sees it, parsed once from the run's state.

    ``model_dump(mode="json")`` gives it back as plain JSON.
    """

    thread_id: str
    status: RunStatus
    goal: str = ""
    goal_id: str = ""
    run_id: str = ""
    """This goal's run on the thread (a thread may hold several runs, one after another)."""
    pending_approvals: list[ApprovalRequest] = Field(default_factory=list)
    pending_escalations: list[Escalation] = Field(default_factory=list)
    """The agents' questions the run waits on (status ``awaiting_director``): reason, question,
    options with ids, and the evidence that raised each."""
    escalations: dict[str, Escalation] = Field(default_factory=dict)
    """Every escalation of the run by id, with the Director's answer once given."""
    plan: ExecutionPlan | None = None
    """None until the planner has made it."""
    assignments: dict[str, Assignment] = Field(default_factory=dict)
    step_status: dict[str, StepStatus] = Field(default_factory=dict)
    results: dict[str, StepOutcome] = Field(default_factory=dict)
    """Per finished step, a `StepRun` (its `StepResult`, attempts and duration) or a
    `StepFailure`."""
    approval_ledger: list[LedgerEntry] = Field(default_factory=list)
    integration: Integration | None = None
    """The results combined, once the run has finished."""
    sync_receipt: SyncReceipt | None = None
    """Where the run's records stand in the four stores, once the run has finished."""
    errors: dict[str, str] = Field(default_factory=dict)
    steps_prepared: list[str] = Field(default_factory=list)
    """Steps that would change the world but that no executor acted for (change plans only)."""
    steps_executed: list[str] = Field(default_factory=list)
    """Steps an executor acted for, after their approval."""
    executions: dict[str, ExecutionRecord] = Field(default_factory=dict)
    """Per executed step, the executor's call: tool, arguments, approval id, answer."""

    def reports(self) -> dict[str, str]:
        """The Markdown reports the run's documentation steps wrote, by step id."""
        return {
            sid: artefact.content
            for sid, result in self.results.items()
            if isinstance(result, StepRun)
            for artefact in result.artefacts
            if artefact.kind == "report"
        }


class Argo:
    """ARGO's orchestrator with a durable checkpointer and the four stores."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        services: Services | None = None,
        context: Context | None = None,
        verified_director: str | None = None,
    ) -> None:
        """``verified_director``: a Director the caller has authenticated itself (the
        layer bridge, from a signed request); every run step this object drives records
        that name as verified, ignoring any ``director`` passed. Leave it unset unless
        you checked who is asking: the Python API cannot tell."""
        self.settings = settings or (services.settings if services else Settings())
        self._services = services
        self._owns_stack = False
        self.context = context or Context()
        self.verified_director = verified_director
        self._builder = build_orchestrator(self.services)

    @classmethod
    def local(cls, settings: Settings | None = None, **kwargs: Any) -> Argo:
        """ARGO on the embedded local stack, started if needed (and stopped on exit)."""
        from argo_agents.local_stack import LocalStack

        settings = settings or Settings()
        stack = LocalStack(settings)
        started_here = bool(stack.not_running())
        stack.up()  # idempotent: reuses what runs, starts what does not
        argo = cls(settings, services=None, **kwargs)
        argo._owns_stack = started_here
        return argo

    def services(self) -> Services:
        """The stores, engine and agents, opened on first use."""
        if self._services is None:
            self._services = build_services(self.settings)
        return self._services

    def close(self) -> None:
        """Close connections; stop the local stack if this instance started it."""
        if self._services is not None:
            self._services.close()
            self._services = None
        if self._owns_stack:
            from argo_agents.local_stack import LocalStack

            LocalStack(self.settings).down()

    def __enter__(self) -> Argo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- async API -------------------------------------------------------------------
    async def asubmit_goal(
        self,
        text: str,
        *,
        budget_usd: float | None = None,
        director: str | None = None,
        thread_id: str | None = None,
        progress: Progress | None = None,
    ) -> GoalRun:
        """Plan and run a goal until it completes or pauses for approval."""
        goal = validate_goal_input(text, budget_usd, director)
        if thread_id is not None:
            await self._check_thread_free(thread_id)
        thread_id = thread_id or f"goal-{uuid.uuid4().hex[:12]}"
        payload = {"goal": goal, "budget_usd": budget_usd, "director": director}
        return await self._run(thread_id, payload, progress)

    async def _check_thread_free(self, thread_id: str) -> None:
        """A new goal may start on a thread only when its last run has finished."""
        try:
            run = await self.aget_run(thread_id)
        except RunNotFoundError:
            return
        if run.status in ("awaiting_approval", "awaiting_director", "running", "stalled"):
            raise ThreadBusyError(
                f"thread {thread_id} has a run that is {run.status.replace('_', ' ')} "
                f"({run.goal!r}); finish it first (`argo approve {thread_id}`, or `argo continue "
                f"{thread_id}` if it stalled), or submit the new goal without a thread id"
            )

    async def aresume(
        self,
        thread_id: str,
        decisions: Mapping[str, Any],
        *,
        director: str | None = None,
        reason: str = "",
        allow_over_budget: bool = False,
        progress: Progress | None = None,
    ) -> GoalRun:
        """Decide pending approvals (`approve`, `reject` or `{"edit": {...}}` per step)."""
        from langgraph.types import Command

        value = await self._resume_value(thread_id, decisions, director, reason, allow_over_budget)
        after = await self._run(thread_id, Command(resume=value), progress)
        if after.status == "awaiting_approval" and after.errors.get("approval"):
            raise InvalidResumeError(after.errors["approval"])  # the gate refused it
        return after

    async def _resume_value(
        self,
        thread_id: str,
        decisions: Mapping[str, Any],
        director: str | None,
        reason: str,
        allow_over_budget: bool,
    ) -> dict[str, Any]:
        """The resume value for a paused run; raises (touching nothing) if it is refused."""
        run = await self.aget_run(thread_id)
        if run.status == "awaiting_director":
            raise NotAwaitingApprovalError(
                f"run {thread_id} waits for the Director's answer to an escalation, not for "
                f"approvals: answer it (`argo answer {thread_id} ESCALATION_ID OPTION`)"
            )
        if run.status != "awaiting_approval":
            raise NotAwaitingApprovalError(
                f"run {thread_id} is {run.status}, not awaiting approval; nothing to resume"
            )
        value: dict[str, Any] = {
            "decisions": dict(decisions),
            "reason": reason,
            "allow_over_budget": allow_over_budget,
        }
        if director:
            value["director"] = director
        parse_resume(value, run.pending_approvals)  # refuse a malformed value before the run
        return value

    async def aanswer(
        self,
        thread_id: str,
        escalation_id: str,
        option: str,
        *,
        note: str | None = None,
        director: str | None = None,
        progress: Progress | None = None,
    ) -> GoalRun:
        """Answer an agent's escalation with one of its option ids (``skip``/``abort`` end the
        step skipped); the step runs again with the answer, and the run goes on."""
        from langgraph.types import Command

        value = await self._answer_value(thread_id, escalation_id, option, note, director)
        after = await self._run(thread_id, Command(resume=value), progress)
        if after.status == "awaiting_director" and after.errors.get("escalation"):
            raise InvalidEscalationAnswerError(after.errors["escalation"])  # the gate refused it
        return after

    async def _answer_value(
        self,
        thread_id: str,
        escalation_id: str,
        option: str,
        note: str | None,
        director: str | None,
    ) -> dict[str, Any]:
        """The resume value answering one escalation; raises (touching nothing) if refused."""
        run = await self.aget_run(thread_id)
        if run.status != "awaiting_director":
            raise NotAwaitingApprovalError(
                f"run {thread_id} is {run.status}, not waiting for the Director's answer to an "
                "escalation; nothing to answer"
            )
        answer: Any = {"option": option, "note": note} if note else option
        value: dict[str, Any] = {"escalations": {escalation_id: answer}}
        if director:
            value["director"] = director
        parse_answers(value, run.pending_escalations)  # refuse a bad answer before the run
        return value

    async def acontinue_run(self, thread_id: str, *, progress: Progress | None = None) -> GoalRun:
        """Carry on a run that stopped on an error (e.g. Redis down while its outcome was
        written): its nodes run again from where it stopped, republishing nothing twice."""
        run = await self.aget_run(thread_id)
        if run.status in ("awaiting_approval", "awaiting_director"):
            raise RunNotContinuableError(
                f"run {thread_id} is waiting for the Director: resume it with decisions"
            )
        if run.status not in ("stalled", "running"):
            raise RunNotContinuableError(f"run {thread_id} is {run.status}; nothing to continue")
        return await self._run(thread_id, None, progress)

    async def aget_run(self, thread_id: str) -> GoalRun:
        """The run's current state, from the checkpointer."""
        async with open_checkpointer(self.settings) as saver:
            graph = self._builder.compile(checkpointer=saver)
            snapshot = await graph.aget_state({"configurable": {"thread_id": thread_id}})
        if not snapshot.values:
            raise RunNotFoundError(
                f"no run with thread id {thread_id!r} in "
                f"{self.settings.checkpoint_url or self.settings.data_dir}"
            )
        return _to_run(thread_id, snapshot)

    async def _run(self, thread_id: str, payload: Any, progress: Progress | None) -> GoalRun:
        async for event in self._events(thread_id, payload, progress):
            if isinstance(event, RunEnded):
                return event.run
        raise AssertionError("a run's stream always ends with RunEnded")  # pragma: no cover

    async def _events(
        self, thread_id: str, payload: Any, progress: Progress | None = None
    ) -> AsyncIterator[RunEvent]:
        """The run's typed events as its nodes finish; `RunEnded` last."""
        # metadata: what a LangSmith trace (LANGSMITH_TRACING=true) is filed under
        metadata: dict[str, Any] = {"thread_id": thread_id}
        if isinstance(payload, dict):
            metadata |= {"goal": payload.get("goal"), "director": payload.get("director")}
        configurable: dict[str, Any] = {"thread_id": thread_id}
        if self.verified_director is not None:  # read by the gates, as the server's user
            configurable[AUTH_USER_KEY] = verified_user(self.verified_director)
        config: RunnableConfig = {
            "configurable": configurable,
            "metadata": metadata,
            "run_name": "argo goal",
        }
        async with open_checkpointer(self.settings) as saver:
            graph = self._builder.compile(checkpointer=saver)
            async for mode, chunk in graph.astream(  # type: ignore[call-overload]
                payload, config, context=self.context, stream_mode=["updates", "custom"]
            ):
                if mode == "custom":
                    if progress is not None and isinstance(chunk, dict):
                        progress(PROGRESS_NODE, chunk)
                    yield StreamProgress(
                        data=chunk if isinstance(chunk, dict) else {"value": chunk}
                    )
                    continue
                if not isinstance(chunk, dict):
                    continue
                for node, update in chunk.items():
                    if progress is not None and isinstance(update, dict):
                        progress(node, update)
                for event in events_of_update(chunk):
                    yield event
            snapshot = await graph.aget_state(config)
        yield RunEnded(run=_to_run(thread_id, snapshot))

    async def astream_goal(
        self,
        text: str,
        *,
        budget_usd: float | None = None,
        director: str | None = None,
        thread_id: str | None = None,
    ) -> AsyncIterator[RunEvent]:
        """`asubmit_goal` as a stream of typed events (plan, assignments, steps,
        approvals, sync); the last is `RunEnded` with the run."""
        goal = validate_goal_input(text, budget_usd, director)
        if thread_id is not None:
            await self._check_thread_free(thread_id)
        thread_id = thread_id or f"goal-{uuid.uuid4().hex[:12]}"
        payload = {"goal": goal, "budget_usd": budget_usd, "director": director}
        async for event in self._events(thread_id, payload):
            yield event

    async def astream_resume(
        self,
        thread_id: str,
        decisions: Mapping[str, Any],
        *,
        director: str | None = None,
        reason: str = "",
        allow_over_budget: bool = False,
    ) -> AsyncIterator[RunEvent]:
        """`aresume` as a stream of typed events; the last is `RunEnded`."""
        from langgraph.types import Command

        value = await self._resume_value(thread_id, decisions, director, reason, allow_over_budget)
        async for event in self._events(thread_id, Command(resume=value)):
            yield event

    async def astream_answer(
        self,
        thread_id: str,
        escalation_id: str,
        option: str,
        *,
        note: str | None = None,
        director: str | None = None,
    ) -> AsyncIterator[RunEvent]:
        """`aanswer` as a stream of typed events; the last is `RunEnded`."""
        from langgraph.types import Command

        value = await self._answer_value(thread_id, escalation_id, option, note, director)
        async for event in self._events(thread_id, Command(resume=value)):
            yield event

    async def alist_runs(self, *, status: RunStatus | None = None) -> list[GoalRun]:
        """Every run in the checkpointer (newest thread first), or those with ``status``
        (for example ``"awaiting_approval"`` to find what waits for a decision)."""
        async with open_checkpointer(self.settings) as saver:
            graph = self._builder.compile(checkpointer=saver)
            threads: list[str] = []
            async for item in saver.alist(None):
                thread_id = str(item.config["configurable"]["thread_id"])
                if thread_id not in threads:
                    threads.append(thread_id)
            runs = []
            for thread_id in threads:
                config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
                try:
                    run = _to_run(thread_id, await graph.aget_state(config))
                except ValidationError as exc:
                    # One thread whose state was written by hand (or forged through the
                    # server's update-state call) must not hide every other run.
                    log.warning("list_runs: thread %s is not a readable run: %s", thread_id, exc)
                    continue
                if status is None or run.status == status:
                    runs.append(run)
        return runs

    async def __aenter__(self) -> Argo:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.close)

    # ---- sync twins (they work inside a running event loop too: Jupyter, FastAPI) ------
    def submit_goal(
        self,
        text: str,
        *,
        budget_usd: float | None = None,
        director: str | None = None,
        thread_id: str | None = None,
        progress: Progress | None = None,
    ) -> GoalRun:
        """Sync twin of `asubmit_goal`."""
        return _run_sync(
            self.asubmit_goal(
                text,
                budget_usd=budget_usd,
                director=director,
                thread_id=thread_id,
                progress=progress,
            )
        )

    def resume(
        self,
        thread_id: str,
        decisions: Mapping[str, Any],
        *,
        director: str | None = None,
        reason: str = "",
        allow_over_budget: bool = False,
        progress: Progress | None = None,
    ) -> GoalRun:
        """Sync twin of `aresume`."""
        return _run_sync(
            self.aresume(
                thread_id,
                decisions,
                director=director,
                reason=reason,
                allow_over_budget=allow_over_budget,
                progress=progress,
            )
        )

    def answer(
        self,
        thread_id: str,
        escalation_id: str,
        option: str,
        *,
        note: str | None = None,
        director: str | None = None,
        progress: Progress | None = None,
    ) -> GoalRun:
        """Sync twin of `aanswer`."""
        return _run_sync(
            self.aanswer(
                thread_id,
                escalation_id,
                option,
                note=note,
                director=director,
                progress=progress,
            )
        )

    def stream_answer(
        self,
        thread_id: str,
        escalation_id: str,
        option: str,
        *,
        note: str | None = None,
        director: str | None = None,
    ) -> Iterator[RunEvent]:
        """Sync twin of `astream_answer`."""
        return _iterate_sync(
            lambda: self.astream_answer(
                thread_id, escalation_id, option, note=note, director=director
            )
        )

    def get_run(self, thread_id: str) -> GoalRun:
        """Sync twin of `aget_run`."""
        return _run_sync(self.aget_run(thread_id))

    def continue_run(self, thread_id: str, *, progress: Progress | None = None) -> GoalRun:
        """Sync twin of `acontinue_run`."""
        return _run_sync(self.acontinue_run(thread_id, progress=progress))

    def list_runs(self, *, status: RunStatus | None = None) -> list[GoalRun]:
        """Sync twin of `alist_runs`."""
        return _run_sync(self.alist_runs(status=status))

    def stream_goal(
        self,
        text: str,
        *,
        budget_usd: float | None = None,
        director: str | None = None,
        thread_id: str | None = None,
    ) -> Iterator[RunEvent]:
        """Sync twin of `astream_goal`: events as they happen; `RunEnded` last."""
        return _iterate_sync(
            lambda: self.astream_goal(
                text, budget_usd=budget_usd, director=director, thread_id=thread_id
            )
        )

    def stream_resume(
        self,
        thread_id: str,
        decisions: Mapping[str, Any],
        *,
        director: str | None = None,
        reason: str = "",
        allow_over_budget: bool = False,
    ) -> Iterator[RunEvent]:
        """Sync twin of `astream_resume`."""
        return _iterate_sync(
            lambda: self.astream_resume(
                thread_id,
                decisions,
                director=director,
                reason=reason,
                allow_over_budget=allow_over_budget,
            )
        )

    # ---- knowledge ingestion ---------------------------------------------------------
    def ingest(
        self,
        paths: str | Sequence[str],
        *,
        prune: bool = False,
        job_id: str | None = None,
        progress: Callable[[IngestProgress], None] | None = None,
        **options: Any,
    ) -> IngestReport:
        """Ingest files, directories or globs into the four stores (see `argo ingest`).

        ``options`` are `IngestOptions` fields (batch_size, concurrency, chunk_chars,
        ...); unset ones come from ``ARGO_INGEST_*``. Calling it again with the same
        paths resumes an interrupted job and rewrites only what changed.
        """
        from argo_agents.ingest import IngestJob, IngestOptions

        services = self.services()
        opts = IngestOptions.from_settings(services.settings, prune=prune, job_id=job_id, **options)
        job = IngestJob(services.engine, services.embedder, services.settings, opts, progress)
        return job.run([paths] if isinstance(paths, str) else list(paths))

    def ingest_status(self, job_id: str | None = None) -> list[IngestProgress]:
        """Progress of one ingest job (or of every job kept), most recent first."""
        from argo_agents.ingest import list_jobs, read_progress

        engine = self.services().engine
        if job_id is None:
            return list_jobs(engine)
        found = read_progress(engine, job_id)
        return [found] if found is not None else []

    def search_knowledge(self, query: str, k: int = 5) -> list[KnowledgeHit]:
        """The ``k`` ingested chunks nearest ``query``, with document, heading and score."""
        from argo_agents.ingest import search_knowledge

        services = self.services()
        return search_knowledge(services.stores, services.embedder, query, k)

    async def aingest(self, paths: str | Sequence[str], **kwargs: Any) -> IngestReport:
        """Async twin of `ingest` (runs in a thread)."""
        return await asyncio.to_thread(self.ingest, paths, **kwargs)

    async def aingest_status(self, job_id: str | None = None) -> list[IngestProgress]:
        """Async twin of `ingest_status`."""
        return await asyncio.to_thread(self.ingest_status, job_id)

    async def asearch_knowledge(self, query: str, k: int = 5) -> list[KnowledgeHit]:
        """Async twin of `search_knowledge`."""
        return await asyncio.to_thread(self.search_knowledge, query, k)


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from sync code.

    Inside a running event loop (a notebook cell, an async web handler calling a
    sync method) `asyncio.run` refuses; the coroutine then runs on a loop of its
    own in a worker thread, and this call blocks until it is done.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="argo-sync-twin") as pool:
        return pool.submit(asyncio.run, coro).result()


_DONE = object()


def _iterate_sync(stream: Callable[[], AsyncIterator[RunEvent]]) -> Iterator[RunEvent]:
    """Each event of an async stream, from sync code: the stream runs on a loop of its
    own in a worker thread (so this works inside a running event loop too)."""
    items: queue.Queue[Any] = queue.Queue()

    async def pump() -> None:
        try:
            async for event in stream():
                items.put(event)
        except BaseException as exc:  # handed to the consumer, raised there
            items.put(exc)
        finally:
            items.put(_DONE)

    worker = threading.Thread(target=asyncio.run, args=(pump(),), daemon=True)
    worker.start()
    try:
        while (item := items.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        worker.join()


def _to_run(thread_id: str, snapshot: Any) -> GoalRun:
    values: State = snapshot.values
    interrupts = [i.value for i in getattr(snapshot, "interrupts", ())]
    errors = dict(values.get("errors") or {})
    status: RunStatus
    pending: list[ApprovalRequest] = []
    asked: list[Escalation] = []
    if interrupts and interrupts[0].get("escalations"):  # an agent's question, not approvals
        status = "awaiting_director"
        asked = [Escalation.model_validate(e) for e in interrupts[0]["escalations"]]
        if interrupts[0].get("error"):
            errors["escalation"] = interrupts[0]["error"]
    elif interrupts:
        status = "awaiting_approval"
        pending = [ApprovalRequest.model_validate(p) for p in interrupts[0].get("approvals", [])]
        if interrupts[0].get("error"):
            errors["approval"] = interrupts[0]["error"]
    else:
        final = values.get("status") if not snapshot.next else None
        status = final if final in ("completed", "failed", "rejected") else "running"
        if failed := [t for t in getattr(snapshot, "tasks", ()) if t.error]:
            status = "stalled"  # a node raised: `continue_run` carries it on
            errors["run"] = f"{failed[0].name}: {failed[0].error}"
    receipt = values.get("sync_receipt")
    results = results_of(values)
    plan = plan_of(values) if values.get("plan") else None
    step_status = values.get("step_status") or {}
    order = plan.step_ids() if plan else list(step_status)
    executions = {
        sid: r.execution
        for sid in order
        if isinstance(r := results.get(sid), StepRun) and r.execution is not None
    }
    return GoalRun(
        thread_id=thread_id,
        status=status,
        goal=values.get("goal", ""),
        goal_id=values.get("goal_id", ""),
        run_id=values.get("run_id", ""),
        pending_approvals=pending,
        pending_escalations=asked,
        escalations={
            k: Escalation.model_validate(v) for k, v in (values.get("escalations") or {}).items()
        },
        plan=plan,
        assignments=assignments_of(values),
        step_status=step_status,
        results=results,
        approval_ledger=ledger_of(values),
        integration=values.get("integration") or None,
        sync_receipt=SyncReceipt.model_validate(receipt) if receipt else None,
        errors=errors,
        steps_prepared=[sid for sid in order if step_status.get(sid) == "prepared"],
        steps_executed=list(executions),
        executions=executions,
    )


rebuild_models()  # RunEnded.run is a GoalRun, defined above

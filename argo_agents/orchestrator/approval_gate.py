"""The approval gate: no gated step runs before the Director decides.

The rules live in :mod:`argo_agents.approval`; this node only keeps the gate's
record (outside graph state, so clients cannot write it), asks, and routes:

1. Load the run's record, or open it from the plan the run just made. The
   policy used is the stricter of the one recorded then and today's.
2. Nothing pending: mark the record cleared (the executor runs only the steps
   cleared there) and send the ready steps.
3. Otherwise one `interrupt()` carries every pending approval. The answer is
   applied to the record with compare-and-set, audited at once through the sync
   engine, and the node runs again to ask what is still pending. An invalid
   answer is refused and asked again with the reason; a second answer to the
   same interrupt (a concurrent resume) is refused with `ConcurrentDecisionError`.
4. Once cleared, the run comes back here when a step escalated: the same
   `interrupt()` asks the Director's open escalations, in a round of their own
   (`escalation_gate`), before anything else runs.
"""

from __future__ import annotations

import logging
from typing import Literal

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from argo_agents.approval.budget import BudgetValueError, check_amount
from argo_agents.approval.decisions import InvalidResumeError
from argo_agents.approval.identity import director_of
from argo_agents.approval.policy import ApprovalPolicy
from argo_agents.approval.record import (
    ApprovalRecord,
    RecordConflict,
    digest,
    load_record,
    save_record,
)
from argo_agents.approval.round import RESUME_SCHEMA, ApprovalInterrupt, answer, assess
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.errors import (
    ApprovalRecordError,
    ConcurrentDecisionError,
    InvalidGoalError,
)
from argo_agents.orchestrator.escalation_gate import director_round
from argo_agents.orchestrator.execution import route_ready_steps
from argo_agents.orchestrator.outcome import decision_events
from argo_agents.orchestrator.state import FINISHED, State, plan_of
from argo_agents.services import Services, ServicesProvider

log = logging.getLogger(__name__)

GateRoute = Literal["await_approval", "run_agent_step", "integrate_results"]


def thread_of(config: RunnableConfig) -> str:
    """The run's thread id ('' outside a checkpointed run)."""
    return str((config.get("configurable") or {}).get("thread_id", ""))


def effective_policy(policy: ApprovalPolicy, context: Context | None) -> ApprovalPolicy:
    """The server's policy, tightened (never loosened) by the run's context."""
    if context is None:
        return policy
    return policy.tightened(
        budget_threshold_usd=context.budget_threshold_usd,
        plan_threshold_usd=context.plan_threshold_usd,
        extra_gated_categories=context.extra_gated_categories,
    )


class ApprovalGate:
    """The `await_approval` node."""

    def __init__(self, services: ServicesProvider) -> None:
        self._services = services

    def await_approval(self, state: State, runtime: Runtime[Context]) -> Command[GateRoute]:
        """Ask the Director about every pending step at once; record each decision."""
        config = get_config()
        services = self._services()
        current = effective_policy(services.policy, runtime.context)
        record = self._record(services, state, thread_of(config), current)
        policy = record.policy.strictest(current)
        round_id = str(config["configurable"]["checkpoint_ns"])
        if record.status == "cleared":  # steps run; the Director is asked their escalations
            return director_round(services, state, record, round_id, config, self._proceed)
        view = assess(record, policy)
        if not view.requests and round_id not in record.answered:
            return self._proceed(state, self._clear(services, record))
        if round_id not in record.answered and record.open_round != round_id:
            record = self._save(services, record.model_copy(update={"open_round": round_id}))
        payload = ApprovalInterrupt(
            run_id=record.run_id,
            goal=record.goal,
            approvals=view.requests,
            budget_usd=record.budget_usd,
            plan_spend_usd=view.plan_spend_usd,
            spend_limit=view.spend_limit,
            accepted_spend_usd=view.accepted_spend_usd,
            error=state.get("approval_error"),
        )
        value = interrupt(
            payload.model_dump(mode="json", exclude_none=True), response_schema=RESUME_SCHEMA
        )
        # --- resumed with the Director's answer
        latest = self._load(services, record.run_id)
        if round_id in latest.answered or latest.open_round != round_id:
            if latest.answered.get(round_id) == digest(value):
                # re-executed after applying it: audit again (same ids and versions: a no-op)
                mine = [e for e in latest.ledger if e.round == round_id]
                published = services.engine.publish(decision_events(latest, mine))
                return self._ask_again(latest, None, published)
            raise ConcurrentDecisionError(
                f"this approval round of run {record.run_id} was already answered by another "
                "resume; nothing was applied. Look at the run again (`argo status "
                f"{thread_of(config)}`) and decide what is still pending"
            )
        identity = director_of(config, state.get("director"))
        try:
            decided = answer(latest, value, policy=policy, round_id=round_id, identity=identity)
        except InvalidResumeError as exc:
            log.info("approval refused for run %s: %s", record.run_id, exc.problem)
            return self._ask_again(latest, exc.problem)
        saved = self._save(services, decided)
        new = saved.ledger[len(latest.ledger) :]
        published = services.engine.publish(decision_events(saved, new))  # audited when made
        return self._ask_again(saved, None, published)

    # ---- the record ----------------------------------------------------------------
    def _record(
        self, services: Services, state: State, thread_id: str, policy: ApprovalPolicy
    ) -> ApprovalRecord:
        run_id = state.get("run_id")
        if not run_id:
            raise ApprovalRecordError(
                "this run has no run id (it was started by an older "
                "ARGO, or its state was edited): submit the goal again"
            )
        record = load_record(services.stores.records, run_id)
        if record is None:
            try:
                budget = check_amount("budget_usd", state.get("budget_usd"))
            except BudgetValueError as exc:
                raise InvalidGoalError(str(exc)) from exc
            record = ApprovalRecord(
                run_id=run_id,
                thread_id=thread_id,
                goal=state["goal"],
                goal_id=state["goal_id"],
                plan=plan_of(state),
                policy=policy,
                budget_usd=budget,
                # failed already (`assign_agents`): the Director is not asked about work
                # that cannot run; this only ever takes steps away from what may run
                blocked=sorted(
                    sid for sid, st in (state.get("step_status") or {}).items() if st == "failed"
                ),
            )
            try:
                return save_record(services.stores.records, record)
            except RecordConflict:
                return self._load(services, run_id)  # a twin task opened it first
        if record.thread_id != thread_id:
            raise ApprovalRecordError(
                f"run {run_id} belongs to another thread; submit the goal again on this one"
            )
        if record.status == "closed":
            raise ApprovalRecordError(
                f"run {run_id} is over; submit the goal again to run it again"
            )
        _warn_on_foreign_state(state, record)
        return record

    def _load(self, services: Services, run_id: str) -> ApprovalRecord:
        record = load_record(services.stores.records, run_id)
        if record is None:
            raise ApprovalRecordError(
                f"the approval record of run {run_id} is gone (was Redis "
                "flushed?); submit the goal again"
            )
        return record

    def _save(self, services: Services, record: ApprovalRecord) -> ApprovalRecord:
        try:
            return save_record(services.stores.records, record)
        except RecordConflict as exc:
            raise ConcurrentDecisionError(
                f"{exc}: another resume of this run is deciding; nothing was applied. Look "
                "at the run again and decide what is still pending"
            ) from exc

    def _clear(self, services: Services, record: ApprovalRecord) -> ApprovalRecord:
        return self._save(
            services,
            record.model_copy(
                update={"status": "cleared", "cleared": record.clearance(), "open_round": None}
            ),
        )

    # ---- routing -------------------------------------------------------------------
    def _ask_again(
        self, record: ApprovalRecord, error: str | None, published: list[str] | None = None
    ) -> Command[GateRoute]:
        return Command(
            update={"approval_error": error, "published": published or [], **_mirror(record)},
            goto="await_approval",
        )

    def _proceed(
        self, state: State, record: ApprovalRecord, extra: State | None = None
    ) -> Command[GateRoute]:
        ended = {sid for sid, st in (state.get("step_status") or {}).items() if st in FINISHED}
        skipped = record.skipped - ended  # a step that already failed keeps its own reason
        extra = extra or {}
        update: State = {
            **extra,
            **_mirror(record),
            "approval_error": None,
            "pending_approvals": [],
            "step_status": {
                **extra.get("step_status", {}),
                **{sid: "skipped" for sid in skipped},
            },
            "errors": {
                **extra.get("errors", {}),
                **{
                    sid: (
                        "rejected by the Director"
                        if sid in record.rejected
                        else "depends on a step the Director rejected"
                    )
                    for sid in skipped
                },
            },
            "status": "running",
        }
        after: State = {
            **state,
            **update,
            "step_status": {**(state.get("step_status") or {}), **update["step_status"]},
        }
        route = route_ready_steps(after)
        return Command(update=update, goto=route if isinstance(route, list) else [route])


def _mirror(record: ApprovalRecord) -> State:
    """The record's plan and decisions as graph state (a copy for readers, never trusted)."""
    return {
        "plan": record.plan.model_dump(mode="json"),
        "approval_ledger": [e.model_dump(mode="json") for e in record.ledger],
    }


def _warn_on_foreign_state(state: State, record: ApprovalRecord) -> None:
    """Log what a client wrote into the state that the gate did not record (and ignores)."""
    own = {digest(e.model_dump(mode="json")) for e in record.ledger}
    foreign = [e for e in state.get("approval_ledger") or [] if digest(e) not in own]
    if foreign:
        log.warning(
            "run %s: ignored %d approval-ledger entr%s the gate did not record "
            "(a client wrote them into the state)",
            record.run_id,
            len(foreign),
            "y" if len(foreign) == 1 else "ies",
        )
    if state.get("plan") and state["plan"] != record.plan.model_dump(mode="json"):
        log.warning(
            "run %s: the plan in the state differs from the gate's record; the "
            "record's plan is used",
            record.run_id,
        )

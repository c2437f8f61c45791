"""The Director round of the approval gate: open escalations asked through the same interrupt.

Once the gate has cleared the plan, steps run; a step whose agent cannot
proceed leaves its question in the escalation record and waits
``awaiting_director``, and the router sends the run back to `await_approval`.
There, this round asks every open escalation in one `interrupt()` (its own
round: approvals are all decided by then), checks the answer like an approval
answer (an unknown escalation or option is refused and asked again with the
reason; a second answer to the same interrupt raises `ConcurrentDecisionError`),
records it (the RESPONSE message, through the sync engine) and settles each
step: ``pending`` to run again with the answer, or ``skipped`` (with its
dependents) when the Director chose ``skip`` / ``abort``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, interrupt

from argo_agents.approval.escalation import (
    ESCALATION_RESUME_SCHEMA,
    EscalationAnswer,
    EscalationInterrupt,
    InvalidEscalationAnswerError,
    now,
    parse_answers,
)
from argo_agents.approval.identity import director_of
from argo_agents.approval.record import ApprovalRecord, RecordConflict, digest
from argo_agents.collaboration.escalation import answered_events, response_id
from argo_agents.orchestrator.errors import ConcurrentDecisionError
from argo_agents.orchestrator.escalation_record import (
    EscalationRecord,
    load_escalations,
    save_escalations,
)
from argo_agents.orchestrator.state import State, StepStatus, unfinished_dependents
from argo_agents.planning.models import ExecutionPlan
from argo_agents.services import Services

Proceed = Callable[[State, ApprovalRecord, State], Command[Any]]
"""The gate's own way on once nothing is pending: (state, record, extra update)."""


def director_round(
    services: Services,
    state: State,
    record: ApprovalRecord,
    round_id: str,
    config: RunnableConfig,
    proceed: Proceed,
) -> Command[Any]:
    """Ask the open escalations (pausing the run), or carry on when there are none."""
    port = services.stores.records
    asked = load_escalations(port, record.run_id)
    if not asked.open and round_id not in asked.answered:
        settled = settle(record.plan, asked, state.get("step_status") or {})
        status = {**(state.get("step_status") or {}), **settled.get("step_status", {})}
        return proceed({**state, **settled, "step_status": status}, record, settled)
    if round_id not in asked.answered and asked.open_round != round_id:
        asked = _save(port, asked.model_copy(update={"open_round": round_id}))
    payload = EscalationInterrupt(
        run_id=record.run_id,
        goal=record.goal,
        escalations=[e.request_view() for e in asked.open],
        error=state.get("approval_error"),
    )
    value = interrupt(
        payload.model_dump(mode="json", exclude_none=True),
        response_schema=ESCALATION_RESUME_SCHEMA,
    )
    # --- resumed with the Director's answer
    latest = load_escalations(port, record.run_id)
    if round_id in latest.answered or latest.open_round != round_id:
        if latest.answered.get(round_id) != digest(value):
            raise ConcurrentDecisionError(
                f"this Director round of run {record.run_id} was already answered by another "
                "resume; nothing was applied. Look at the run again and answer what is still open"
            )
        mine = [e for e in latest.escalations if e.answer and e.answer.round == round_id]
        return _answered(services, record, latest, mine, state)  # re-executed: same records
    return _apply(services, record, latest, value, round_id, config, state)


def _apply(
    services: Services,
    record: ApprovalRecord,
    latest: EscalationRecord,
    value: Any,
    round_id: str,
    config: RunnableConfig,
    state: State,
) -> Command[Any]:
    """Check the Director's answer to round ``round_id``, record it, settle its steps."""
    identity = director_of(config, state.get("director"))
    try:
        parsed = parse_answers(value, latest.open, director=identity.name)
    except InvalidEscalationAnswerError as exc:
        return Command(update={"approval_error": exc.problem}, goto="await_approval")
    at = now()
    answers = {
        esc_id: EscalationAnswer(
            option=option,
            note=note,
            by=identity.name if identity.verified else who,
            by_verified=identity.verified,
            at=at,
            round=round_id,
            response_id=response_id(esc_id),
        )
        for esc_id, (option, note, who) in parsed.items()
    }
    saved = _save(
        services.stores.records,
        latest.with_answers(answers).model_copy(
            update={"open_round": None, "answered": {**latest.answered, round_id: digest(value)}}
        ),
    )
    mine = [e for e in saved.escalations if e.id in answers]
    return _answered(services, record, saved, mine, state)


def _answered(
    services: Services,
    record: ApprovalRecord,
    asked: EscalationRecord,
    answered: list[Any],
    state: State,
) -> Command[Any]:
    """Publish the answers' records and settle their steps; the gate then looks again."""
    events = [e for esc in answered for e in answered_events(esc)]
    published = services.engine.publish(events) if events else []
    settled = settle(record.plan, asked, state.get("step_status") or {})
    return Command(
        update={**settled, "approval_error": None, "published": published},
        goto="await_approval",
    )


def settle(plan: ExecutionPlan, asked: EscalationRecord, status: dict[str, StepStatus]) -> State:
    """Each waiting step whose last escalation is answered: ``pending`` to run again, or
    ``skipped`` (its dependents too) when the answer ends it; the record mirrored in state."""
    step_status: dict[str, StepStatus] = {}
    errors: dict[str, str] = {}
    for sid, current in status.items():
        if current != "awaiting_director":
            continue
        mine = asked.of_step(sid)
        last = mine[-1] if mine else None
        if last is not None and last.answer is None:
            continue  # still open
        option = last.option(last.answer.option) if last and last.answer else None
        if last is None or last.answer is None or option is None or not option.ends_step:
            step_status[sid] = "pending"
            continue
        note = f" — {last.answer.note}" if last.answer.note else ""
        step_status[sid] = "skipped"
        errors[sid] = (
            f"skipped by the Director: escalation {last.id} ({last.reason}) answered "
            f"{option.id!r}{note}"
        )
        for dep in unfinished_dependents(plan, [sid], status):
            step_status[dep] = "skipped"
            errors[dep] = f"depends on step {sid}, which the Director skipped"
    return {
        "step_status": step_status,
        "errors": errors,
        "escalations": {e.id: e.model_dump(mode="json") for e in asked.escalations},
    }


def _save(port: Any, record: EscalationRecord) -> EscalationRecord:
    try:
        return save_escalations(port, record)
    except RecordConflict as exc:
        raise ConcurrentDecisionError(
            f"{exc}: another resume of this run is answering; nothing was applied. Look at "
            "the run again and answer what is still open"
        ) from exc

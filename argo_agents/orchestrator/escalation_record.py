"""The gate's record of a run's escalations, beside its approval record and kept the same way.

Outside graph state (clients can write state), in a Redis record written by
compare-and-set: a step raises an escalation into it, the approval gate asks
the Director about the open ones and writes each answer into it, and a step
that runs again reads its answers from it. Parallel steps escalate at once, so
raising retries on a conflict; answering does not (a concurrent resume loses).
"""

from __future__ import annotations

from pydantic import Field

from argo_agents.approval.escalation import (
    Escalation,
    EscalationAnswer,
    EscalationNeeded,
    escalation_id,
    now,
)
from argo_agents.approval.record import RecordConflict, RevisedRecord, load_revised, save_revised
from argo_agents.collaboration.escalation import message_id
from argo_agents.orchestrator.errors import ConcurrentDecisionError
from argo_agents.stores.ports import RecordPort

_RAISE_TRIES = 20


class EscalationRecord(RevisedRecord):
    """Every escalation of one goal run, and which Director round answered what."""

    run_id: str
    escalations: list[Escalation] = Field(default_factory=list)
    open_round: str | None = None
    answered: dict[str, str] = Field(default_factory=dict)
    """Interrupt round -> digest of the resume value that answered it."""

    @property
    def open(self) -> list[Escalation]:
        """Escalations still waiting for the Director."""
        return [e for e in self.escalations if e.answer is None]

    def of_step(self, step_id: str) -> list[Escalation]:
        """Every escalation a step raised, in order."""
        return [e for e in self.escalations if e.step_id == step_id]

    def answered_for(self, step_id: str) -> list[Escalation]:
        """A step's answered escalations, in order (what its next run is given)."""
        return [e for e in self.of_step(step_id) if e.answer is not None]

    def with_answers(self, answers: dict[str, EscalationAnswer]) -> EscalationRecord:
        """A copy with these answers applied."""
        escalations = [
            e.model_copy(update={"answer": answers[e.id]}) if e.id in answers else e
            for e in self.escalations
        ]
        return self.model_copy(update={"escalations": escalations})


def _key(run_id: str) -> str:
    return f"escalations:{run_id}"


def load_escalations(port: RecordPort, run_id: str) -> EscalationRecord:
    """The run's escalation record (empty when no step has escalated)."""
    found = load_revised(port, _key(run_id), EscalationRecord)
    return found if found is not None else EscalationRecord(run_id=run_id)


def save_escalations(port: RecordPort, record: EscalationRecord) -> EscalationRecord:
    """Write ``record`` over revision ``record.rev``; `RecordConflict` if it moved."""
    what = f"the escalation record of run {record.run_id}"
    return save_revised(port, _key(record.run_id), record, what=what)


def raise_escalation(
    port: RecordPort,
    *,
    run_id: str,
    goal_id: str,
    step_id: str,
    agent_id: str,
    agent_kind: str,
    need: EscalationNeeded,
) -> tuple[Escalation, bool]:
    """(the escalation, whether it is new): the step's open question if it already has one
    (a node that ran again), else ``need`` added to the record."""
    for _ in range(_RAISE_TRIES):
        record = load_escalations(port, run_id)
        if already := [e for e in record.open if e.step_id == step_id]:
            return already[0], False
        esc_id = escalation_id(run_id, step_id, len(record.of_step(step_id)))
        esc = Escalation(
            id=esc_id,
            run_id=run_id,
            goal_id=goal_id,
            step_id=step_id,
            agent_id=agent_id,
            agent_kind=agent_kind,
            reason=need.reason,
            question=need.question,
            options=need.options,
            evidence=need.evidence,
            raised_at=now(),
            message_id=message_id(esc_id),
        )
        try:
            save_escalations(
                port, record.model_copy(update={"escalations": [*record.escalations, esc]})
            )
        except RecordConflict:
            continue  # a parallel step escalated first; read again
        return esc, True
    raise ConcurrentDecisionError(
        f"run {run_id}: could not record step {step_id}'s escalation ({_RAISE_TRIES} "
        "conflicting writers); continue the run to try again"
    )

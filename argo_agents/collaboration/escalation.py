"""An escalation as agent messages: the agent's ESCALATION to the Director and its RESPONSE.

Both are recorded through the sync engine like every other agent message (a
warehouse ``events`` row each), and the answered pair as a ``collaboration``
between the agent and the Director (graph and ``agent_activities``). Ids are
derived from the escalation, so a node that runs again after a crash records
the same messages again rather than new ones.
"""

from __future__ import annotations

from datetime import timedelta

from argo_agents.approval.escalation import Escalation
from argo_agents.collaboration.messages import (
    AgentMessage,
    MessageKind,
    MessagePriority,
    collaboration_event,
    message_event,
)
from argo_agents.sync.events import SyncEvent

DIRECTOR = "director"
ANSWER_WITHIN = timedelta(days=30)  # a paused run waits for its Director; nothing expires it


def message_id(escalation_id: str) -> str:
    """The id of the ESCALATION message of an escalation."""
    return f"msg-{escalation_id}"


def response_id(escalation_id: str) -> str:
    """The id of the Director's RESPONSE to it."""
    return f"msg-{escalation_id}-answer"


def escalation_message(esc: Escalation) -> AgentMessage:
    """The agent's ESCALATION to the Director."""
    return AgentMessage(
        id=esc.message_id,
        run_id=esc.run_id,
        goal_id=esc.goal_id,
        from_agent=esc.agent_id,
        to=DIRECTOR,
        kind=MessageKind.ESCALATION,
        priority=MessagePriority.URGENT,
        payload={
            "escalation_id": esc.id,
            "step_id": esc.step_id,
            "reason": esc.reason,
            "question": esc.question,
            "options": [o.model_dump() for o in esc.options],
            "evidence": esc.evidence,
        },
        deadline=esc.raised_at + ANSWER_WITHIN,
        sent_at=esc.raised_at,
    )


def response_message(esc: Escalation) -> AgentMessage:
    """The Director's RESPONSE (``esc`` must be answered)."""
    if esc.answer is None:
        raise ValueError(f"escalation {esc.id} has no answer yet")
    request = escalation_message(esc)
    response = request.answer(
        f"{DIRECTOR}:{esc.answer.by}" if esc.answer.by else DIRECTOR,
        {
            "escalation_id": esc.id,
            "option": esc.answer.option,
            "note": esc.answer.note,
            "by_verified": esc.answer.by_verified,
        },
    )
    return response.model_copy(update={"id": esc.answer.response_id, "sent_at": esc.answer.at})


def raised_events(esc: Escalation) -> list[SyncEvent]:
    """The record of an escalation being raised."""
    return [message_event(escalation_message(esc))]


def answered_events(esc: Escalation) -> list[SyncEvent]:
    """The record of the Director's answer: the RESPONSE and the collaboration it closes."""
    request, response = escalation_message(esc), response_message(esc)
    option = esc.option(esc.answer.option) if esc.answer else None
    return [
        message_event(response),
        collaboration_event(
            request,
            response,
            activity_type="escalation",
            success=option is not None and not option.ends_step,
        ),
    ]

"""Agent messages: REQUEST / RESPONSE / CONSENSUS / ESCALATION with priorities.

A message travels on a Redis stream per recipient kind, read through a consumer
group, so a request outlives the process that sent it: a responder that dies
before acknowledging leaves it pending, and the next one claims it once it has
been idle `CLAIM_IDLE_MS`. A response is kept under its request's id (with a
TTL) for the asker to read. Every exchange is recorded through the sync engine:
each message as a warehouse ``events`` row (``event_type`` ``agent_message``),
and each answered request as a ``collaboration`` between the two agents (a
graph node and an ``agent_activities`` row with its ``partner_id``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from pydantic import BaseModel, Field

from argo_agents.stores.errors import StoreError
from argo_agents.stores.ports import StreamPort
from argo_agents.sync.events import Priority, SyncEvent

GROUP = "agents"
CLAIM_IDLE_MS = 30_000  # a responder silent this long is presumed dead
RESPONSE_TTL_S = 3600
MAX_DEPTH = 1  # a responder answers from its own reads; it never asks onwards


class MessageKind(StrEnum):
    """What a message is for."""

    REQUEST = "REQUEST"
    RESPONSE = "RESPONSE"
    CONSENSUS = "CONSENSUS"
    ESCALATION = "ESCALATION"


class MessagePriority(IntEnum):
    """How urgent a message is (higher first)."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3


class AgentMessage(BaseModel):
    """One message between agents (or to the Director, for an escalation)."""

    id: str = Field(default_factory=lambda: f"msg-{uuid.uuid4().hex[:16]}")
    run_id: str
    goal_id: str
    from_agent: str
    to: str  # an agent kind ("research") or an agent id
    kind: MessageKind
    priority: MessagePriority = MessagePriority.NORMAL
    payload: dict[str, Any] = Field(default_factory=dict)
    deadline: datetime
    reply_to: str | None = None
    depth: int = 0
    sent_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @classmethod
    def request(
        cls,
        *,
        run_id: str,
        goal_id: str,
        from_agent: str,
        to: str,
        payload: dict[str, Any],
        within_s: float = 30.0,
        priority: MessagePriority = MessagePriority.NORMAL,
    ) -> AgentMessage:
        """A REQUEST that expects an answer within ``within_s`` seconds."""
        return cls(
            run_id=run_id,
            goal_id=goal_id,
            from_agent=from_agent,
            to=to,
            kind=MessageKind.REQUEST,
            priority=priority,
            payload=payload,
            deadline=datetime.now(UTC) + timedelta(seconds=within_s),
        )

    def answer(self, from_agent: str, payload: dict[str, Any]) -> AgentMessage:
        """The RESPONSE to this request."""
        return AgentMessage(
            run_id=self.run_id,
            goal_id=self.goal_id,
            from_agent=from_agent,
            to=self.from_agent,
            kind=MessageKind.RESPONSE,
            priority=self.priority,
            payload=payload,
            deadline=self.deadline,
            reply_to=self.id,
            depth=self.depth + 1,
        )

    @property
    def expired(self) -> bool:
        """Past its deadline: an answer would come too late to be used."""
        return datetime.now(UTC) > self.deadline


class MessageError(RuntimeError):
    """A message could not be sent or answered (the reason says which bound was hit)."""


Publish = Callable[[Sequence[SyncEvent]], Any]


class MessageBus:
    """Send, receive, answer and record agent messages on one namespace's streams."""

    def __init__(self, streams: StreamPort, namespace: str, publish: Publish | None) -> None:
        self.streams = streams
        self.namespace = namespace
        self.publish = publish

    def stream(self, to: str) -> str:
        """The stream a recipient reads."""
        return f"{self.namespace}:messages:{to}"

    def _response_key(self, request_id: str) -> str:
        return f"{self.namespace}:messages:response:{request_id}"

    def send(self, message: AgentMessage) -> None:
        """Put ``message`` on its recipient's stream (durable) and record it."""
        if message.depth > MAX_DEPTH:
            raise MessageError(f"message {message.id} is {message.depth} deep; at most {MAX_DEPTH}")
        stream = self.stream(message.to)
        self.streams.ensure_group([stream], GROUP)
        self.streams.xadd(stream, {"m": message.model_dump_json()})
        self._record([message])

    def receive(self, to: str, consumer: str, count: int = 10) -> list[tuple[str, AgentMessage]]:
        """Messages for ``to``: first any left pending too long by a dead consumer, then new
        ones; (entry id, message), most urgent first."""
        stream = self.stream(to)
        self.streams.ensure_group([stream], GROUP)
        claimed, _ = self.streams.claim_idle(stream, GROUP, consumer, CLAIM_IDLE_MS, count)
        fresh = self.streams.read_group(GROUP, consumer, [stream], count, None)
        found = [(e.id, AgentMessage.model_validate_json(e.fields["m"])) for e in claimed + fresh]
        return sorted(found, key=lambda pair: -pair[1].priority)

    def ack(self, to: str, entry_ids: Sequence[str]) -> None:
        """Acknowledge handled messages (they leave the stream)."""
        self.streams.ack_delete(GROUP, {self.stream(to): list(entry_ids)})

    def respond(self, request: AgentMessage, response: AgentMessage) -> None:
        """Keep ``response`` for the asker and record the exchange."""
        key = self._response_key(request.id)
        self.streams.set_many({key: response.model_dump_json()}, RESPONSE_TTL_S)
        self._record([response], collaboration=(request, response))

    def response_to(self, request_id: str) -> AgentMessage | None:
        """The response to a request, once there is one."""
        (raw,) = self.streams.mget([self._response_key(request_id)])
        return AgentMessage.model_validate_json(raw) if raw else None

    def _record(
        self,
        messages: Sequence[AgentMessage],
        collaboration: tuple[AgentMessage, AgentMessage] | None = None,
    ) -> None:
        if self.publish is None:
            return
        events = [message_event(m) for m in messages]
        if collaboration is not None:
            events.append(collaboration_event(*collaboration))
        try:
            self.publish(events)
        except StoreError as exc:  # the exchange itself happened; its record waits
            raise MessageError(f"recording messages failed: {exc}") from exc


def message_event(m: AgentMessage) -> SyncEvent:
    """One message as a warehouse ``events`` row (``event_type`` ``agent_message``)."""
    return SyncEvent(
        entity_type="event",
        entity_id=m.id,
        priority=Priority.HIGH if m.priority >= MessagePriority.HIGH else Priority.NORMAL,
        data={
            "event_type": "agent_message",
            "message_kind": m.kind.value,
            "from_agent": m.from_agent,
            "to": m.to,
            "priority": m.priority.name,
            "reply_to": m.reply_to,
            "goal_id": m.goal_id,
            "run_id": m.run_id,
            "payload": json.loads(json.dumps(m.payload, default=str)),
        },
    )


def collaboration_event(
    request: AgentMessage,
    response: AgentMessage,
    *,
    activity_type: str = "request_response",
    success: bool | None = None,
) -> SyncEvent:
    """An answered request as a ``collaboration`` between the two parties (graph and
    warehouse); ``success`` defaults to whether the response brought records."""
    return SyncEvent(
        entity_type="collaboration",
        entity_id=f"collab-{request.id}",
        data={
            "agent_id": request.from_agent,
            "partner_id": response.from_agent,
            "task_id": request.goal_id,
            "activity_type": activity_type,
            "success": bool(response.payload.get("records")) if success is None else success,
            "request_id": request.id,
            "response_id": response.id,
        },
    )

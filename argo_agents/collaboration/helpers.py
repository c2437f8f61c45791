"""An agent asking another kind of agent for help, and that agent answering.

The request goes through the kind's stream (`MessageBus`), so it is durable;
in this process the asked kind answers at once from its own read (a responder
never asks onwards: requests are one level deep), and the asker reads the
response. A request a dead process left behind is claimed and answered by the
next `answer_pending` for that kind.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from argo_agents.collaboration.consensus import vote
from argo_agents.collaboration.messages import AgentMessage, MessageBus, MessageError, MessageKind

if TYPE_CHECKING:
    from argo_agents.agents.deps import AgentDeps
    from argo_agents.agents.models import AgentKind
    from argo_agents.agents.tools import RunScope

ANSWER_WITHIN_S = 30.0
# A responder answers with what it is fairly sure of: a lexical match this weak is mostly
# shared filler words, and an answer the asker would cite must bear on the question.
ANSWER_MIN_SCORE = 0.35


def bus_for(deps: AgentDeps) -> MessageBus:
    """The message bus on the deps' Redis, recording through their publish."""
    return MessageBus(deps.stores.streams, deps.messages_namespace, deps.publish)


def ask(
    deps: AgentDeps,
    scope: RunScope,
    asker: AgentKind | None,
    kind: AgentKind,
    question: str,
    to_agent: str | None = None,
) -> tuple[AgentMessage, AgentMessage]:
    """(request, response): ``kind``'s answer to ``question`` (from the teammate
    ``to_agent``, who signs it, when named); `MessageError` if none came."""
    from argo_agents.agents.tools import ToolFailed

    bus = bus_for(deps)
    request = AgentMessage.request(
        run_id=scope.run_id,
        goal_id=scope.goal_id,
        from_agent=scope.agent_id or f"{asker or 'agent'}",
        to=kind,
        payload={
            "question": question,
            "step_id": scope.step_id,
            "action": scope.action,
            **({"to_agent": to_agent} if to_agent else {}),
        },
        within_s=ANSWER_WITHIN_S,
    )
    try:
        bus.send(request)
        answer_pending(deps, kind)
        response = bus.response_to(request.id)
    except MessageError as exc:
        raise ToolFailed(str(exc)) from exc
    if response is None:
        raise ToolFailed(f"the {kind} agent did not answer request {request.id} in time")
    return request, response


def answer_pending(deps: AgentDeps, kind: AgentKind) -> int:
    """Answer every request waiting for ``kind`` (claiming those a dead responder left);
    return how many were answered."""
    bus = bus_for(deps)
    consumer = f"{kind}-responder-{os.getpid()}"
    answered = 0
    while batch := bus.receive(kind, consumer):
        for entry_id, request in batch:
            if not request.expired:
                if request.kind is MessageKind.CONSENSUS:
                    reply = vote(deps, kind, request)
                else:
                    reply = _reply(deps, kind, request)
                bus.respond(request, request.answer(_responder(kind, request), reply))
                answered += 1
            bus.ack(kind, [entry_id])
    return answered


def _responder(kind: AgentKind, request: AgentMessage) -> str:
    """Who answers: the teammate the request named, else the kind's responder."""
    named = request.payload.get("to_agent")
    return named if isinstance(named, str) and named else f"{kind}-responder"


def _reply(deps: AgentDeps, kind: AgentKind, request: AgentMessage) -> dict[str, object]:
    """What ``kind`` finds for the question, from its own reads (never another request)."""
    from argo_agents.agents.policy import key_terms
    from argo_agents.agents.tools import RunScope, ToolFailed, store_reads
    from argo_agents.stores.errors import StoreError

    question = str(request.payload.get("question", ""))
    scope = RunScope(
        run_id=request.run_id,
        goal_id=request.goal_id,
        intent="",
        subject=question,
        step_id=str(request.payload.get("step_id", "")),
        action=str(request.payload.get("action", "")),
        agent_id=f"{kind}-responder",
    )
    reads = store_reads(deps, scope, kind)
    try:
        if kind == "research":
            records, note = reads.knowledge_search(question, 5)
        elif kind == "technical":
            terms = key_terms(question) or [question.casefold()]
            records, note = reads.graph_mentions(terms)
        else:
            records, note = reads.similar_cases(question, 5)
    except (StoreError, ToolFailed) as exc:
        return {"records": [], "note": f"could not read: {exc}"}
    sure = [r for r in records if r.score is None or r.score >= ANSWER_MIN_SCORE]
    return {"records": [r.model_dump(mode="json") for r in sure], "note": note}

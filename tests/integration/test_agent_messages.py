"""Agents that ask each other: REQUEST / RESPONSE messages, durable and recorded."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from argo_agents.agents.models import StepResult
from argo_agents.agents.tools import RunScope, ToolFailed, store_reads
from argo_agents.collaboration import (
    AgentMessage,
    MessageBus,
    MessageError,
    MessageKind,
    helpers,
    messages,
)
from tests.orchestration_support import make_services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("messages"))
    yield svc
    svc.close()


def senders(services, goal_id: str) -> list[tuple[str, str]]:
    """(kind, from) of every agent message of the goal in the warehouse, sorted."""
    rows = services.stores.warehouse.query(
        "SELECT JSON_VALUE(content, '$.message_kind') AS kind, "
        "JSON_VALUE(content, '$.from_agent') AS from_agent "
        "FROM {dataset}.events_latest WHERE event_type = 'agent_message' "
        "AND JSON_VALUE(content, '$.goal_id') = @goal",
        {"goal": goal_id},
    )
    return sorted((r["kind"], r["from_agent"]) for r in rows)


def _scope(goal: str = "g-test") -> RunScope:
    return RunScope(
        run_id=f"run-{uuid.uuid4().hex[:6]}",
        goal_id=goal,
        intent="optimize",
        subject="the orders table",
        step_id="s1",
        action="analyze_performance",
        agent_id="technical-1",
    )


def test_a_technical_agent_without_history_asks_research_and_the_exchange_is_recorded(services):
    tag = uuid.uuid4().hex[:8]
    action = f"reconcile_ledger_{tag}"  # an action nobody ran before: no history of it
    graph = services.agent_graphs["technical"]
    out = asyncio.run(
        graph.ainvoke(
            {
                "goal": f"Optimise the ledger {tag} reconciliation",
                "goal_id": f"goal-{tag}",
                "intent": "optimize",
                "subject": f"the ledger {tag} reconciliation",
                "agent_id": "technical-1",
                "upstream": {},
                "step": {"id": action, "action": action, "category": "analysis",
                         "description": "find why reconciliation is slow"},
                "run": {"run_id": f"run-{tag}", "max_tool_calls": 8},
            }
        )
    )  # fmt: skip
    result = StepResult.model_validate(out["result"])
    call = next(t for t in result.tool_calls if t.tool == "ask_agent")
    assert call.args["kind"] == "research" and "prior art" in call.args["question"]

    assert services.engine.drain(timeout_s=60).complete
    assert senders(services, f"goal-{tag}") == [
        ("REQUEST", "technical-1"),
        ("RESPONSE", "research-responder"),
    ]
    pairs = services.stores.warehouse.query(
        "SELECT agent_id, JSON_VALUE(content, '$.partner_id') AS partner "
        "FROM {dataset}.agent_activities_latest "
        "WHERE task_id = @goal AND JSON_VALUE(content, '$.activity_type') = 'request_response'",
        {"goal": f"goal-{tag}"},
    )
    assert [(p["agent_id"], p["partner"]) for p in pairs] == [("technical-1", "research-responder")]


def test_a_request_survives_a_responder_that_died_before_answering(services, monkeypatch):
    # 100 ms instead of 30 s: how long a silent responder is presumed alive before its
    # requests are claimed by another (the rule under test, without a 30 s wait).
    monkeypatch.setattr(messages, "CLAIM_IDLE_MS", 100)
    deps = services.agent_deps()
    bus = helpers.bus_for(deps)
    scope = _scope()
    request = AgentMessage.request(
        run_id=scope.run_id, goal_id=scope.goal_id, from_agent="technical-1", to="research",
        payload={"question": "prior art for query latency", "step_id": "s1"},
    )  # fmt: skip
    bus.send(request)
    taken = bus.receive("research", consumer="research-responder-dead")
    assert [m.id for _, m in taken] == [request.id]  # read, then the process "died"
    assert bus.response_to(request.id) is None

    time.sleep(0.2)
    assert helpers.answer_pending(deps, "research") >= 1  # a new responder claims it
    response = bus.response_to(request.id)
    assert response is not None and response.kind is MessageKind.RESPONSE
    assert response.reply_to == request.id and response.to == "technical-1"
    assert helpers.answer_pending(deps, "research") == 0  # answered once, acknowledged


def test_requests_are_bounded_in_count_depth_and_kind(services):
    deps = services.agent_deps()
    reads = store_reads(deps, _scope(), "technical")
    with pytest.raises(ToolFailed, match="another kind"):
        reads.ask_agent("technical", "what do I know?")
    reads.ask_agent("research", "prior art for slow joins")
    reads.ask_agent("creative", "similar cases of slow joins")
    with pytest.raises(ToolFailed, match="at most 2"):
        reads.ask_agent("research", "and once more")
    bus = MessageBus(deps.stores.streams, deps.messages_namespace, None)
    request = AgentMessage.request(
        run_id="r", goal_id="g", from_agent="technical-1", to="research", payload={}
    )
    deep = request.answer("research-1", {}).answer("technical-1", {})
    with pytest.raises(MessageError, match="deep"):
        bus.send(deep)


def test_a_team_step_asks_its_teammate_who_answers_in_its_own_name(services):
    tag = uuid.uuid4().hex[:8]
    graph = services.agent_graphs["research"]
    step = {
        "id": "identify_bottlenecks",
        "action": "identify_bottlenecks",
        "category": "analysis",
        "description": f"Find the bottlenecks of the ledger {tag} service",
        "required_capabilities": ["performance_analysis", "data_analysis"],
    }
    out = asyncio.run(
        graph.ainvoke(
            {
                "goal": f"Optimise the ledger {tag} service",
                "goal_id": f"goal-{tag}",
                "intent": "optimize",
                "subject": f"the ledger {tag} service",
                "agent_id": "research-1",
                "upstream": {},
                "step": step,
                "run": {"run_id": f"run-{tag}", "max_tool_calls": 8},
                "team": [
                    {"agent_id": "technical-1", "kind": "technical",
                     "covers": ["performance_analysis"]},
                ],
            }
        )
    )  # fmt: skip
    result = StepResult.model_validate(out["result"])
    call = next(t for t in result.tool_calls if t.tool == "ask_agent")
    assert (
        call.args["agent_id"] == "technical-1" and "performance analysis" in call.args["question"]
    )
    assert result.team == ["technical-1"]

    assert services.engine.drain(timeout_s=60).complete
    # the teammate itself answers (not an anonymous responder of its kind)
    assert senders(services, f"goal-{tag}") == [
        ("REQUEST", "research-1"),
        ("RESPONSE", "technical-1"),
    ]


def test_only_a_teammate_can_be_named(services):
    reads = store_reads(services.agent_deps(), _scope(), "technical")
    with pytest.raises(ToolFailed, match="not on this step's team"):
        reads.ask_agent("research", "prior art for slow joins", agent_id="research-1")

"""A front layer answers an agent's escalation over the bridge's channels."""

from __future__ import annotations

import pytest

from argo_agents import Argo
from argo_agents.bridge import CHANNEL_OUT, LayerBridge
from argo_agents.orchestrator.context import Context
from argo_agents.stores.redis_channels import RedisChannels
from tests.bridge_support import answers, request
from tests.orchestration_support import make_services

pytestmark = pytest.mark.integration

RESEARCH = "Research how competitors price their premium support plans"


def test_a_front_layer_sees_the_question_and_its_answer_moves_the_run(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path)
    # a remit of $0: every step is above it, so the first agent escalates (a real trigger)
    argo = Argo(services.settings, services=services, context=Context(agent_remit_usd=0.0))
    channels = RedisChannels.from_endpoints(endpoints)
    out = channels.listen([CHANNEL_OUT], poll_s=0.2)
    next(out)  # subscribed
    bridge = LayerBridge(argo, channels)
    try:
        submit = request("submit_goal", {"goal": RESEARCH, "budget_usd": 50})
        bridge.handle(submit)
        kinds = {m["event_type"]: m["data"] for m in answers(out, submit["id"])}
        asked = kinds["escalation_requested"]
        [first, *_] = asked["escalations"]
        assert first["reason"] == "risk_above_remit"
        assert {o["id"] for o in first["options"]} >= {"proceed", "skip"}

        bad = request("answer", {"thread_id": asked["thread_id"], "escalation_id": first["id"]})
        bridge.handle(bad)
        [refused] = answers(out, bad["id"])
        assert refused["event_type"] == "error" and "option" in refused["data"]["error"]

        skip = request(
            "answer",
            {"thread_id": asked["thread_id"], "escalation_id": first["id"], "option": "skip"},
        )
        bridge.handle(skip)
        after = {m["event_type"]: m["data"] for m in answers(out, skip["id"])}
        update = after["run_update"]
        assert update["steps"][first["step_id"]] == "skipped"
    finally:
        channels.close()
        services.close()


def test_a_front_layer_chooses_the_run_s_agents_and_a_bad_choice_is_refused(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path)
    argo = Argo(services.settings, services=services)
    channels = RedisChannels.from_endpoints(endpoints)
    out = channels.listen([CHANNEL_OUT], poll_s=0.2)
    next(out)  # subscribed
    bridge = LayerBridge(argo, channels)
    try:
        submit = request("submit_goal", {"goal": RESEARCH, "agents": ["research"]})
        bridge.handle(submit)
        kinds = {m["event_type"]: m["data"] for m in answers(out, submit["id"])}
        done = kinds["goal_completed"]
        run = argo.get_run(done["thread_id"])
        assert run.assignments and {a.agent_kind for a in run.assignments.values()} == {"research"}

        bad = request("submit_goal", {"goal": RESEARCH, "agents": ["wizard"]})
        bridge.handle(bad)
        [refused] = answers(out, bad["id"])
        assert refused["event_type"] == "error"
        assert refused["data"]["kind"] == "InvalidContextError"
        assert "wizard" in refused["data"]["error"]
    finally:
        channels.close()
        services.close()

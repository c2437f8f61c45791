"""A bridge with Director tokens acts only on requests signed by a Director, as that Director.

Each request goes through a real `LayerBridge` on the session's Redis and a real run;
an attacker who can publish on the bridge's channel tries what the tokens must stop.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from argo_agents import Argo
from argo_agents.bridge import CHANNEL_OUT, LayerBridge
from argo_agents.bridge.signing import sign
from argo_agents.orchestrator.context import Context
from argo_agents.stores.redis_channels import RedisChannels
from tests.bridge_support import answers, request
from tests.orchestration_support import make_services

pytestmark = pytest.mark.integration

DEPLOY = "Deploy the payments API to production"
ANA, BO = "tok-ana-" + "a" * 24, "tok-bo-" + "b" * 24


@contextmanager
def bridge_with_tokens(endpoints, data_dir, context: Context | None = None):
    """(argo, send) for a bridge whose settings carry ana's and bo's tokens."""
    services = make_services(endpoints, data_dir)
    tokens = SecretStr(json.dumps({ANA: "ana", BO: "bo"}))
    settings = services.settings.model_copy(update={"director_tokens": tokens})
    argo = Argo(settings, services=services, context=context)
    channels = RedisChannels.from_endpoints(endpoints)
    out = channels.listen([CHANNEL_OUT], poll_s=0.2)
    next(out)  # subscribed
    bridge = LayerBridge.for_settings(argo, channels)

    def send(msg: dict) -> dict[str, dict]:
        bridge.handle(msg)
        got = answers(out, msg["id"])
        if "signature" in msg and "error" not in {m["event_type"] for m in got}:
            # answers to a Director's request are signed with that Director's token
            token = {"ana": ANA, "bo": BO}[msg["director"]]
            assert all(m == sign(m, msg["director"], token) for m in got), got
        return {m["event_type"]: m["data"] for m in got}

    try:
        yield argo, send
    finally:
        channels.close()
        services.close()


@pytest.fixture
def signed_bridge(endpoints, tmp_path):
    with bridge_with_tokens(endpoints, tmp_path) as bridge:
        yield bridge


def refused(got: dict[str, dict]) -> str:
    assert set(got) == {"error"}, got
    assert got["error"]["kind"] == "Unauthenticated"
    return got["error"]["error"]


def test_unsigned_and_forged_requests_start_nothing(signed_bridge):
    argo, send = signed_bridge
    goal = {"goal": DEPLOY, "budget_usd": 900, "director": "ana"}
    assert "signed requests" in refused(send(request("submit_goal", goal)))
    assert "does not match" in refused(send(sign(request("submit_goal", goal), "ana", BO)))
    assert argo.list_runs() == []  # nothing ran, nothing was checkpointed


def test_only_a_signed_untampered_fresh_approval_moves_the_run_as_its_signer(signed_bridge):
    argo, send = signed_bridge
    submitted = send(sign(request("submit_goal", {"goal": DEPLOY, "budget_usd": 900}), "ana", ANA))
    asked = submitted["approval_requested"]
    thread, [pending] = asked["thread_id"], asked["approvals"]
    step = pending["step_id"]

    def approval(signer: str, token: str, **extra: object) -> dict:
        data = {"thread_id": thread, "decisions": {step: "approve"}, **extra}
        return sign(request("approve", data), signer, token)

    tampered = sign(
        request("approve", {"thread_id": thread, "decisions": {step: "reject"}}), "ana", ANA
    )
    tampered["data"]["decisions"][step] = "approve"  # changed on the way
    stale = sign({**request("approve", {"thread_id": thread, "decisions": {step: "approve"}}),
                  "timestamp": (datetime.now(UTC) - timedelta(minutes=30)).isoformat()},
                 "ana", ANA)  # fmt: skip
    for attack in (
        request("approve", {"thread_id": thread, "decisions": {step: "approve"}}),  # unsigned
        approval("ana", BO),  # bo's token in ana's name
        approval("mallory", "tok-mallory"),  # nobody's token
        tampered,
        stale,
    ):
        refused(send(attack))
    assert argo.get_run(thread).status == "awaiting_approval"  # nothing was decided

    # bo signs, naming ana in data: the record says bo, verified
    good = approval("bo", BO, director="ana")
    after = send(good)
    assert after["goal_completed"]["status"] == "completed"
    [entry] = argo.get_run(thread).approval_ledger
    assert (entry.step_id, entry.decision, entry.by, entry.by_verified) == (
        step, "approve", "bo", True
    )  # fmt: skip

    assert "already received" in refused(send(good))  # the same approval, replayed
    assert len(argo.get_run(thread).approval_ledger) == 1


def test_an_escalation_answered_over_a_signed_bridge_is_recorded_as_its_signer(endpoints, tmp_path):
    # a remit of $0: every step is above it, so the first agent escalates (a real trigger)
    with bridge_with_tokens(endpoints, tmp_path, Context(agent_remit_usd=0.0)) as (argo, send):
        research = {"goal": "Research how competitors price their premium support plans"}
        asked = send(sign(request("submit_goal", research), "ana", ANA))["escalation_requested"]
        thread, [first, *_] = asked["thread_id"], asked["escalations"]
        answer = {"thread_id": thread, "escalation_id": first["id"], "option": "skip"}
        refused(send(sign(request("answer", answer), "bo", ANA)))  # bo's name, ana's token
        send(sign(request("answer", {**answer, "director": "ana"}), "bo", BO))
        recorded = argo.get_run(thread).escalations[first["id"]].answer
        assert recorded is not None and (recorded.option, recorded.by, recorded.by_verified) == (
            "skip", "bo", True
        )  # fmt: skip

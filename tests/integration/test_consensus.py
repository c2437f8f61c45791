"""Agents vote on a Creative step's competing approaches; a missing voter does not block."""

from __future__ import annotations

import uuid

import pytest

from argo_agents.agents.tools import RunScope
from argo_agents.collaboration import consensus, helpers
from argo_agents.collaboration.consensus import Option, hold_vote
from tests.integration.ingest_support import write_corpus
from tests.orchestration_support import make_argo, make_services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(endpoints, tmp_path_factory):
    svc = make_services(endpoints, tmp_path_factory.mktemp("consensus"))
    yield svc
    svc.close()


def test_a_creative_step_with_competing_approaches_gets_a_recorded_vote(services, tmp_path):
    argo = make_argo(services)
    write_corpus(tmp_path / "docs", 12)
    argo.ingest([str(tmp_path / "docs")], embed_workers=1)
    run = argo.submit_goal("Optimise the Redis eviction and Kafka consumer lag of the queue")
    if run.status == "awaiting_approval":
        run = argo.resume(run.thread_id, {p.step_id: "approve" for p in run.pending_approvals})
    creative = [r for r in run.results.values() if getattr(r, "agent_kind", "") == "creative"]
    assert creative, "the optimise plan has a Creative step"
    decided = {a.name: a for a in creative[0].artefacts}
    assert {"options", "consensus"} <= set(decided), creative[0].findings
    decision = consensus.ConsensusDecision.model_validate_json(decided["consensus"].content)
    assert decision.rule == "confidence" and len(decision.options) >= 2
    assert {v.voter for v in decision.votes} | set(decision.missing) == {"technical", "research"}
    assert decision.chosen in {o.key for o in decision.options}
    assert any(f.startswith("Consensus (confidence)") for f in creative[0].findings)

    services.engine.drain(timeout_s=60)
    rows = services.stores.warehouse.query(
        "SELECT JSON_VALUE(content, '$.chosen') AS chosen FROM {dataset}.events_latest "
        "WHERE event_type = 'consensus_decision' AND JSON_VALUE(content, '$.goal_id') = @g",
        {"g": run.goal_id},
    )
    assert rows == [{"chosen": decision.chosen}]


def test_a_voter_that_fails_is_missing_and_the_others_still_decide(services, monkeypatch):
    real_vote = helpers.vote

    def technical_fails(deps, kind, request):
        if kind == "technical":
            return {"note": "could not read the graph"}  # no vote from this voter
        return real_vote(deps, kind, request)

    monkeypatch.setattr(helpers, "vote", technical_fails)
    tag = uuid.uuid4().hex[:8]
    scope = RunScope(run_id=f"run-{tag}", goal_id=f"goal-{tag}", intent="optimize",
                     subject="queue", step_id="s", action="generate_solutions",
                     agent_id="creative-1")  # fmt: skip
    options = [Option(key="option-1", text="cache the catalogue in Redis"),
               Option(key="option-2", text="batch the consumer's commits")]  # fmt: skip
    decision = hold_vote(services.agent_deps(), scope, "the approach", options,
                         ["technical", "research"], "majority", within_s=5)  # fmt: skip
    assert decision.missing == ["technical"]
    assert [v.voter for v in decision.votes] == ["research"]
    assert decision.chosen == decision.votes[0].option

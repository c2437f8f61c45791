"""Assignment: the registry, single-step scoring and optimal batch assignment."""

from __future__ import annotations

import itertools
import random

import pytest

from argo_agents.assignment import (
    AgentProfile,
    AgentRegistry,
    RegistryError,
    UnknownAgentError,
    adjusted_score,
    assign_batch,
    assignment_cost,
    capability_score,
    select_agent,
)
from argo_agents.planning import CAPABILITIES, PlanStep, plan_offline


def step(sid: str, caps: list[str], duration_s: int = 0) -> PlanStep:
    return PlanStep(
        id=sid, action=f"do_{sid}", description=sid, category="analysis",
        required_capabilities=caps, estimated_duration_s=duration_s,
    )  # fmt: skip


def agent(aid: str, caps: set[str], kind: str = "technical", max_workload: int = 5) -> AgentProfile:
    return AgentProfile(
        agent_id=aid, kind=kind, capabilities=frozenset(caps), max_workload=max_workload
    )


# Real capability names, short to read.
A, B, X, Y, W = "testing", "profiling", "research", "writing", "ux_design"


# --- registry -------------------------------------------------------------------------


def test_default_registry_has_one_agent_per_kind_covering_every_capability() -> None:
    registry = AgentRegistry.default()
    assert registry.kinds == {"technical", "research", "creative"}
    assert len(registry.profiles) == 3
    assert registry.covered_capabilities() == CAPABILITIES


def test_registry_from_spec_allows_several_agents_of_a_kind() -> None:
    registry = AgentRegistry.from_spec(
        [
            {"agent_id": "tech-a", "kind": "technical"},
            {"agent_id": "tech-b", "kind": "technical", "max_workload": 2, "speed_factor": 0.5},
            {"agent_id": "muse", "kind": "creative", "capabilities": ["writing"]},
        ]
    )
    assert [a.agent_id for a in registry.of_kind("technical")] == ["tech-a", "tech-b"]
    assert registry.get("tech-b").max_workload == 2
    assert registry.get("muse").capabilities == {"writing"}
    with pytest.raises(UnknownAgentError, match="tech-a"):
        registry.get("nobody")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ([{"agent_id": "x", "kind": "wizard"}], "kind"),
        ([{"agent_id": "x", "kind": "technical", "capabilities": ["magic"]}], "magic"),
        ([{"agent_id": "x", "kind": "research"}, {"agent_id": "x", "kind": "research"}], "dup"),
        ([], "at least one agent"),
    ],
)
def test_bad_registry_spec_is_refused_with_the_fix(spec: list[dict], fragment: str) -> None:
    with pytest.raises(RegistryError, match=fragment):
        AgentRegistry.from_spec(spec)


# --- scoring --------------------------------------------------------------------------


def test_capability_and_adjusted_scores_follow_the_digest() -> None:
    assert capability_score(["a", "b", "c", "d"], {"a", "b", "x"}) == 0.5
    assert capability_score([], {"x"}) == 1.0
    assert capability_score(["a"], set()) == 0.0
    assert adjusted_score(1.0, 0) == 1.0
    assert adjusted_score(1.0, 5) == pytest.approx(1 / 1.5)
    with pytest.raises(ValueError, match="workload"):
        adjusted_score(1.0, -1)


def test_best_capability_match_wins() -> None:
    registry = AgentRegistry.default()
    s = step("p", ["performance_analysis", "profiling"])
    chosen = select_agent(s, registry, {})
    assert chosen.agent_id == "technical-1" and chosen.method == "single"
    assert chosen.capability_score == 1.0 and "2/2" in chosen.reason


def test_workload_can_outweigh_a_better_match() -> None:
    registry = AgentRegistry(
        profiles=[agent("expert", {A, B}), agent("novice", {A}, kind="research")]
    )
    s = step("s", [A, B])
    # expert: 1.0 / (1 + 0.1*15) = 0.4; novice: 0.5 / 1 = 0.5
    chosen = select_agent(s, registry, {"expert": 15})
    assert chosen.agent_id == "novice"
    assert chosen.adjusted_score == pytest.approx(0.5)


def test_busier_agent_loses_a_tie() -> None:
    # Tie on adjusted score: busy 1.0 / (1 + 0.1*10) = 0.5; idle has half the skills, 0.5 / 1.
    registry = AgentRegistry(profiles=[agent("a-busy", {X, Y}), agent("b-idle", {X})])
    chosen = select_agent(step("s", [X, Y]), registry, {"a-busy": 10, "b-idle": 0})
    assert chosen.agent_id == "b-idle" and "tied" in chosen.reason


def test_exact_tie_goes_to_the_lower_agent_id() -> None:
    registry = AgentRegistry(profiles=[agent("zeta", {X}), agent("alpha", {X})])
    assert select_agent(step("s", [X]), registry, {}).agent_id == "alpha"


# --- Hungarian batch assignment -------------------------------------------------------


def test_batch_gives_the_scarce_skill_to_the_step_that_needs_it() -> None:
    # Greedy would hand "generic" to the versatile agent first; the optimum doesn't.
    registry = AgentRegistry(
        profiles=[agent("versatile", {A, B}), agent("plain", {A}, kind="research")]
    )
    steps = [step("generic", [A]), step("special", [B])]
    result = {a.step_id: a.agent_id for a in assign_batch(steps, registry, {})}
    assert result == {"generic": "plain", "special": "versatile"}


def test_batch_hand_checked_costs() -> None:
    registry = AgentRegistry(profiles=[agent("t", {A}, max_workload=4)])
    steps = [step("s1", [A], duration_s=3600), step("s2", [A], duration_s=1800)]
    result = assign_batch(steps, registry, {"t": 2})
    # Slots cost workload 2/4 then 3/4, plus hours; total 0.5 + 0.75 + 1 + 0.5 = 2.75
    assert [a.agent_id for a in result] == ["t", "t"]
    assert sum(a.cost for a in result) == pytest.approx(2.75)
    assert all(a.method == "hungarian" and "minimum batch total 2.75" in a.reason for a in result)


def test_agent_without_any_match_is_used_only_when_nothing_else_matches() -> None:
    registry = AgentRegistry(
        profiles=[agent("busy-expert", {A}, max_workload=1), agent("idle-poet", {W})]
    )
    steps = [step(f"s{i}", [A]) for i in range(3)]
    assert {a.agent_id for a in assign_batch(steps, registry, {"busy-expert": 3})} == {
        "busy-expert"
    }
    only_poet = assign_batch([step("s", [B])], registry, {})
    assert len(only_poet) == 1  # still assigned: someone must do it


def test_batch_of_a_real_plan_assigns_every_step() -> None:
    plan = plan_offline("Build a REST API for invoices and deploy it to production")
    result = assign_batch(plan.steps, AgentRegistry.default(), {"technical-1": 1})
    assert [a.step_id for a in result] == plan.step_ids()
    assert all(a.capability_score > 0 for a in result)
    assert assign_batch([], AgentRegistry.default(), {}) == []


def brute_force_total(steps, agents, workloads) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for mapping in itertools.product(agents, repeat=len(steps)):
        extra = {a.agent_id: 0 for a in agents}
        total = 0.0
        for s, a in zip(steps, mapping, strict=True):
            total += assignment_cost(s, a, workloads.get(a.agent_id, 0) + extra[a.agent_id])
            extra[a.agent_id] += 1
        best = min(best, total)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_hungarian_total_equals_brute_force_optimum(seed: int) -> None:
    rng = random.Random(seed)
    caps = sorted(CAPABILITIES)[:6]
    agents = [
        AgentProfile(
            agent_id=f"ag{i}",
            kind=rng.choice(["technical", "research", "creative"]),
            capabilities=frozenset(rng.sample(caps, rng.randint(0, 4))),
            max_workload=rng.randint(1, 5),
            speed_factor=rng.choice([0.5, 1.0, 1.5]),
        )
        for i in range(rng.randint(1, 3))
    ]
    steps = [
        step(f"s{j}", rng.sample(caps, rng.randint(0, 3)), duration_s=rng.randint(0, 7200))
        for j in range(rng.randint(1, 5))
    ]
    workloads = {a.agent_id: rng.randint(0, 4) for a in agents}
    result = assign_batch(steps, AgentRegistry(profiles=agents), workloads)
    assert [a.step_id for a in result] == [s.id for s in steps]
    assert sum(a.cost for a in result) == pytest.approx(brute_force_total(steps, agents, workloads))

"""When scaling adds or retires agent instances (pure rules)."""

from __future__ import annotations

from argo_agents.assignment.registry import AgentRegistry
from argo_agents.assignment.scaling import plan_scaling
from argo_agents.planning.models import PlanStep


def step(caps: list[str]) -> PlanStep:
    return PlanStep(id="s", action="a", category="analysis", description="d",
                    required_capabilities=caps)  # fmt: skip


def with_instances(base: AgentRegistry, ids: list[str]) -> AgentRegistry:
    kind_of = {p.kind: p for p in base.profiles}
    extra = [kind_of[i.split("-")[0]].model_copy(update={"agent_id": i}) for i in ids]
    return AgentRegistry(profiles=[*base.profiles, *extra])


def test_over_85_percent_adds_the_kind_the_pending_steps_need_most():
    base = AgentRegistry.default()
    full = {p.agent_id: p.max_workload for p in base.profiles}
    pending = [
        step(["literature_review"]),
        step(["research", "pattern_mining"]),
        step(["ideation"]),
    ]
    (decision,) = plan_scaling(base, [], full, pending)
    assert (decision.action, decision.kind, decision.agent_id) == ("add", "research", "research-2")
    assert "above 85%" in decision.reason


def test_under_30_percent_retires_at_most_two_idle_added_instances_never_the_registry_ones():
    base = AgentRegistry.default()
    registry = with_instances(base, ["technical-2", "technical-3", "research-2"])
    added = [p for p in registry.profiles if p.agent_id not in base.agent_ids()]
    decisions = plan_scaling(registry, added, {"technical-3": 1}, [])
    assert [(d.action, d.agent_id) for d in decisions] == [
        ("retire", "technical-2"),
        ("retire", "research-2"),
    ]  # technical-3 is busy; the registry's own agents are never retired


def test_between_the_thresholds_nothing_changes():
    base = AgentRegistry.default()
    half = {p.agent_id: p.max_workload // 2 for p in base.profiles}  # 2 of 5 each: 40 %
    assert plan_scaling(base, [], half, [step(["research"])]) == []

"""Auto-scaling: agent instances of a kind added under load, retired when idle.

Load is the agents' current workload (Redis counters) over their capacity
(``max_workload``). Above `SCALE_UP_LOAD` one instance is added, of the kind
whose capabilities the pending steps need most; under `SCALE_DOWN_LOAD` at most
`MAX_RETIRED` idle added instances are retired. The registry's own agents are
never retired. Added instances live in an `AgentPool` (a compare-and-set record
in Redis, so concurrent runs never lose each other's changes) and join the
registry for assignment; an instance of a kind runs on that kind's subgraph.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel

from argo_agents.assignment.registry import AgentKind, AgentProfile, AgentRegistry
from argo_agents.assignment.scoring import capability_score
from argo_agents.planning.models import PlanStep
from argo_agents.stores.ports import RecordPort

SCALE_UP_LOAD = 0.85
SCALE_DOWN_LOAD = 0.30
MAX_RETIRED = 2  # idle instances retired at a time
POOL_KEY = "agents:pool"
CAS_TRIES = 5


class ScalingDecision(BaseModel):
    """One instance added or retired, and why."""

    action: Literal["add", "retire"]
    agent_id: str
    kind: AgentKind
    load: float
    reason: str
    at: datetime


def load_of(registry: AgentRegistry, workloads: Mapping[str, int]) -> float:
    """Steps held over steps the agents can hold (0 without agents)."""
    capacity = sum(p.max_workload for p in registry.profiles)
    held = sum(max(0, workloads.get(p.agent_id, 0)) for p in registry.profiles)
    return held / capacity if capacity else 0.0


def most_needed_kind(steps: Sequence[PlanStep], registry: AgentRegistry) -> AgentKind | None:
    """The kind whose agents cover the pending steps' capabilities best, most often."""
    votes: Counter[AgentKind] = Counter()
    for step in steps:
        best = max(
            registry.profiles,
            key=lambda p: (capability_score(step.required_capabilities, p.capabilities), p.kind),
        )
        votes[best.kind] += 1
    return votes.most_common(1)[0][0] if votes else None


def plan_scaling(
    registry: AgentRegistry,
    added: Sequence[AgentProfile],
    workloads: Mapping[str, int],
    pending: Sequence[PlanStep],
) -> list[ScalingDecision]:
    """What to add or retire now; ``registry`` already includes the ``added`` instances."""
    load, now = load_of(registry, workloads), datetime.now(UTC)
    if load > SCALE_UP_LOAD and (kind := most_needed_kind(pending, registry)):
        template = registry.of_kind(kind)[0]
        n = len(registry.of_kind(kind)) + 1
        ids = set(registry.agent_ids())
        while f"{kind}-{n}" in ids:
            n += 1
        reason = (
            f"load {load:.0%} above {SCALE_UP_LOAD:.0%}; the pending steps need {kind} most"
            f" (copying {template.agent_id}'s capabilities)"
        )
        return [ScalingDecision(action="add", agent_id=f"{kind}-{n}", kind=kind, load=load,
                                reason=reason, at=now)]  # fmt: skip
    if load < SCALE_DOWN_LOAD:
        idle = [p for p in added if workloads.get(p.agent_id, 0) <= 0][:MAX_RETIRED]
        reason = f"load {load:.0%} below {SCALE_DOWN_LOAD:.0%} and the instance is idle"
        return [
            ScalingDecision(
                action="retire", agent_id=p.agent_id, kind=p.kind, load=load, reason=reason, at=now
            )
            for p in idle
        ]
    return []


class AgentPool:
    """The instances added by scaling, in a compare-and-set record."""

    def __init__(self, records: RecordPort, key: str = POOL_KEY) -> None:
        self.records, self.key = records, key

    def _read(self) -> tuple[int, dict[str, Any]]:
        found = self.records.get(self.key)
        return found if found is not None else (0, {"instances": []})

    def instances(self) -> list[AgentProfile]:
        """The added instances now."""
        return [AgentProfile.model_validate(p) for p in self._read()[1]["instances"]]

    def registry(self, base: AgentRegistry) -> AgentRegistry:
        """``base`` with the added instances."""
        known = set(base.agent_ids())
        extra = [p for p in self.instances() if p.agent_id not in known]
        return AgentRegistry(profiles=[*base.profiles, *extra])

    def apply(
        self, base: AgentRegistry, decisions: Sequence[ScalingDecision]
    ) -> list[AgentProfile]:
        """Record ``decisions`` (retrying on a concurrent change); the instances after."""
        for _ in range(CAS_TRIES):
            rev, doc = self._read()
            instances = [AgentProfile.model_validate(p) for p in doc["instances"]]
            for d in decisions:
                if d.action == "retire":
                    instances = [p for p in instances if p.agent_id != d.agent_id]
                elif all(p.agent_id != d.agent_id for p in instances):
                    template = base.of_kind(d.kind)[0]
                    instances.append(template.model_copy(update={"agent_id": d.agent_id}))
            dumped = [p.model_dump(mode="json") for p in instances]
            if self.records.compare_and_set(self.key, rev, {"instances": dumped}):
                return instances
        raise RuntimeError(f"agent pool {self.key}: changed concurrently {CAS_TRIES} times; retry")

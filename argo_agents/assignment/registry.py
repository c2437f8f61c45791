"""The agents a plan's steps can be assigned to, and what each can do.

Assignment needs only profiles (kind, capabilities, capacity, speed); the agent
subgraphs and their live workloads live elsewhere. Several agents of one kind
are allowed, which is how ARGO scales a kind out (several instances of a kind).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from argo_agents.planning.models import CAPABILITIES

AgentKind = Literal["technical", "research", "creative"]


class RegistryError(ValueError):
    """An agent registry that cannot be used; the message says what to fix."""


class UnknownAgentError(KeyError):
    """No agent has this id."""


class AgentProfile(BaseModel):
    """One agent as assignment sees it."""

    model_config = ConfigDict(frozen=True)

    agent_id: str = Field(min_length=1)
    kind: AgentKind
    capabilities: frozenset[str]
    max_workload: int = Field(default=5, ge=1, description="Concurrent steps it can hold.")
    # Predicted duration = mean duration x speed_factor (>1 is slower).
    speed_factor: float = Field(default=1.0, gt=0)

    @field_validator("capabilities")
    @classmethod
    def _known_capabilities(cls, value: frozenset[str]) -> frozenset[str]:
        if unknown := value - CAPABILITIES:
            raise ValueError(
                f"unknown capabilities {sorted(unknown)}: fix the spelling or add them to "
                "argo_agents.planning.models.CAPABILITIES"
            )
        return value


_DEFAULT_CAPABILITIES: dict[AgentKind, frozenset[str]] = {
    # Technical: performance analysis and engineering, reads Neo4j dependencies.
    "technical": frozenset(
        {
            "performance_analysis",
            "profiling",
            "code_analysis",
            "software_engineering",
            "testing",
            "devops",
            "deployment",
            "data_engineering",
            "database_migration",
            "integration",
            "security_review",
            "benchmarking",
        }
    ),  # fmt: skip
    # Research Scholar: pattern search and history in BigQuery.
    "research": frozenset(
        {
            "research",
            "data_analysis",
            "pattern_mining",
            "literature_review",
            "benchmarking",
            "code_analysis",
            "security_review",
        }
    ),  # fmt: skip
    # Creative Unit: novel solutions from similar cases in the vector store.
    "creative": frozenset(
        {"ideation", "creative_design", "writing", "documentation", "ux_design", "pattern_mining"}
    ),
}


class AgentRegistry(BaseModel):
    """The agents available to a run; ids are unique."""

    profiles: list[AgentProfile]

    @model_validator(mode="after")
    def _unique_non_empty(self) -> AgentRegistry:
        if not self.profiles:
            raise ValueError("an agent registry needs at least one agent")
        ids = [p.agent_id for p in self.profiles]
        if dupes := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"duplicate agent ids {dupes}: give every agent its own id")
        return self

    @classmethod
    def default(cls) -> AgentRegistry:
        """One Technical, one Research and one Creative agent covering every capability."""
        return cls(
            profiles=[
                AgentProfile(agent_id=f"{kind}-1", kind=kind, capabilities=caps)
                for kind, caps in _DEFAULT_CAPABILITIES.items()
            ]
        )

    @classmethod
    def from_spec(cls, spec: Iterable[dict[str, Any]]) -> AgentRegistry:
        """Build from config dicts; ``capabilities`` defaults to the kind's default set."""
        try:
            profiles = []
            for item in spec:
                item = dict(item)
                if "capabilities" not in item and item.get("kind") in _DEFAULT_CAPABILITIES:
                    item["capabilities"] = _DEFAULT_CAPABILITIES[item["kind"]]
                profiles.append(AgentProfile.model_validate(item))
            return cls(profiles=profiles)
        except ValidationError as exc:
            raise RegistryError(
                "invalid agent spec: each agent needs agent_id, kind (technical|research|"
                f"creative) and optionally capabilities, max_workload, speed_factor. {exc}"
            ) from exc

    def get(self, agent_id: str) -> AgentProfile:
        """The agent with this id."""
        for p in self.profiles:
            if p.agent_id == agent_id:
                return p
        raise UnknownAgentError(f"no agent {agent_id!r}; agents: {self.agent_ids()}")

    def agent_ids(self) -> list[str]:
        """Agent ids in registry order."""
        return [p.agent_id for p in self.profiles]

    @property
    def kinds(self) -> set[str]:
        """The kinds present."""
        return {p.kind for p in self.profiles}

    def of_kind(self, kind: str) -> list[AgentProfile]:
        """Every agent of one kind."""
        return [p for p in self.profiles if p.kind == kind]

    def covered_capabilities(self) -> frozenset[str]:
        """Union of every agent's capabilities."""
        return frozenset().union(*(p.capabilities for p in self.profiles))

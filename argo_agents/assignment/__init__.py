"""Assignment: which agent runs each plan step, by capability and current workload."""

from argo_agents.assignment.hungarian import assign_batch
from argo_agents.assignment.registry import (
    AgentKind,
    AgentProfile,
    AgentRegistry,
    RegistryError,
    UnknownAgentError,
)
from argo_agents.assignment.scoring import (
    Assignment,
    adjusted_score,
    assignment_cost,
    capability_score,
    select_agent,
)

__all__ = [
    "AgentKind",
    "AgentProfile",
    "AgentRegistry",
    "Assignment",
    "RegistryError",
    "UnknownAgentError",
    "adjusted_score",
    "assign_batch",
    "assignment_cost",
    "capability_score",
    "select_agent",
]

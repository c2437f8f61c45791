"""The agent subgraphs (Technical, Research and Creative) and the step results they produce.

Each agent works through read-only tools over the four stores (`tools`): with
a model, in a model ↔ tools loop; without one, by a fixed policy per kind
(`policy`). Either way the `StepResult` cites the records it rests on.
"""

from argo_agents.agents.deps import AgentDeps, DepsProvider
from argo_agents.agents.graph import AGENT_KINDS, build_agent_graph
from argo_agents.agents.models import AgentKind, KnowledgeItem, StepResult
from argo_agents.agents.state import AgentInput, AgentOutput, AgentState

__all__ = [
    "AGENT_KINDS",
    "AgentInput",
    "AgentKind",
    "AgentOutput",
    "AgentState",
    "AgentDeps",
    "KnowledgeItem",
    "StepResult",
    "DepsProvider",
    "build_agent_graph",
]

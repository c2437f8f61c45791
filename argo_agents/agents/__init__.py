"""The agent subgraphs (Technical, Research, Creative) and the step results they produce.

Each agent gathers context from the store it is best at, then writes a
`StepResult` offline (from rules and that context) or with the configured model.
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

"""`technical`, `research` and `creative` in langgraph.json: each agent on its own.

Studio can run one agent on a single step to see what it gathers from its
store and what it produces.
"""

from argo_agents.agents.graph import build_agent_graph
from argo_agents.agents.tools import AgentTools
from argo_agents.bootstrap import default_services


def _tools() -> AgentTools:
    services = default_services()
    return AgentTools(stores=services.stores, embedder=services.embedder, model=services.model)


technical = build_agent_graph("technical", _tools).compile(name="technical")
research = build_agent_graph("research", _tools).compile(name="research")
creative = build_agent_graph("creative", _tools).compile(name="creative")

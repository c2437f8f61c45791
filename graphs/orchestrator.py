"""`orchestrator` in langgraph.json: compiled without a checkpointer.

The LangGraph dev server and Platform bring their own checkpointer; the
services (stores, sync engine, agents) are opened on the first run, starting
the embedded local stack when no store is configured.
"""

from argo_agents.bootstrap import default_services
from argo_agents.orchestrator.graph import build_orchestrator

graph = build_orchestrator(default_services).compile(name="orchestrator")

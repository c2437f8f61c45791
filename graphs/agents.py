"""`technical`, `research` and `creative` in langgraph.json: each agent on its own.

Studio can run one agent on a single step to see what it gathers from its
store and what it produces.
"""

from argo_agents.bootstrap import studio_agent

technical = studio_agent("technical")
research = studio_agent("research")
creative = studio_agent("creative")

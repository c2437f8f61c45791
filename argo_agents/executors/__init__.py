"""Action executors: the only way a plan step changes the world, and only once approved.

`config` reads the MCP servers and routes from the settings; `registry` says
which steps act and which executor acts for each; `mcp` calls a tool of an MCP
server through langchain-mcp-adapters, `python` calls an entry point. Without
an executor a step that would act ends ``prepared``: its artefact is a change
plan, and nothing outside ARGO was touched.
"""

from argo_agents.executors.config import ExecutorConfigError, ExecutorsConfig, parse_config
from argo_agents.executors.models import (
    Approval,
    ExecutionRecord,
    Executor,
    ExecutorError,
    NotApprovedError,
    audit_id,
)
from argo_agents.executors.registry import (
    ACTING_CATEGORIES,
    ExecutorRegistry,
    acting_categories,
    approval_of,
)

__all__ = [
    "ACTING_CATEGORIES",
    "Approval",
    "ExecutionRecord",
    "Executor",
    "ExecutorConfigError",
    "ExecutorError",
    "ExecutorRegistry",
    "ExecutorsConfig",
    "NotApprovedError",
    "acting_categories",
    "approval_of",
    "audit_id",
    "parse_config",
]

"""Executor configuration: MCP servers and the routes from steps to executors.

Read from ``ARGO_MCP_SERVERS`` and ``ARGO_EXECUTORS`` (JSON) and, optionally, a
JSON file named by ``ARGO_EXECUTORS_FILE`` holding ``{"mcp_servers": {...},
"executors": [...]}``. Everything is checked when services are built, and
each error names the variable, the entry and what to fix, so a typo cannot
quietly leave a deployment without its executor.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from argo_agents.planning.models import CATEGORIES

PLACEHOLDERS: tuple[str, ...] = (
    "step_id",
    "action",
    "description",
    "category",
    "required_capabilities",
    "estimated_cost_usd",
    "estimated_duration_s",
    "goal",
    "goal_id",
    "run_id",
    "approval_id",
    "approved_by",
)
"""What an ``arguments`` template may name, as ``"{description}"``."""


class ExecutorConfigError(ValueError):
    """The executor configuration cannot be used; the message says where and what to fix."""


class McpServer(BaseModel):
    """One MCP server, as langchain-mcp-adapters connects to it."""

    model_config = ConfigDict(extra="forbid")

    transport: Literal["stdio", "streamable_http"]
    command: str | None = None
    """stdio: the program to start (e.g. ``python``)."""
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = None
    cwd: str | None = None
    url: str | None = None
    """streamable_http: the endpoint, e.g. ``http://127.0.0.1:8765/mcp``."""
    headers: dict[str, str] | None = None

    @model_validator(mode="after")
    def _transport_fields(self) -> McpServer:
        if self.transport == "stdio" and not self.command:
            raise ValueError("a stdio server needs 'command' (and usually 'args')")
        if self.transport == "streamable_http" and not self.url:
            raise ValueError("a streamable_http server needs 'url'")
        return self

    def connection(self) -> dict[str, Any]:
        """The connection dict `MultiServerMCPClient` takes."""
        if self.transport == "stdio":
            conn: dict[str, Any] = {
                "transport": "stdio",
                "command": self.command,
                "args": self.args,
            }
            if self.env is not None:
                conn["env"] = self.env
            if self.cwd is not None:
                conn["cwd"] = self.cwd
            return conn
        conn = {"transport": "streamable_http", "url": self.url}
        if self.headers:
            conn["headers"] = self.headers
        return conn


class McpTarget(BaseModel):
    """A tool on a configured MCP server."""

    model_config = ConfigDict(extra="forbid")

    server: str
    tool: str


class Route(BaseModel):
    """Which steps an executor acts for (by action and/or category), and how it is called."""

    model_config = ConfigDict(extra="forbid")

    action: str | None = None
    category: str | None = None
    mcp: McpTarget | None = None
    python: str | None = Field(None, pattern=r"^[\w.]+:[\w.]+$")
    """A Python entry point ``package.module:function``."""
    arguments: dict[str, Any] | None = None
    """The call's arguments, with ``"{placeholder}"`` strings; unset = the default envelope."""
    timeout_s: float = Field(300.0, gt=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_target_and_a_match(self) -> Route:
        if (self.mcp is None) == (self.python is None):
            raise ValueError("give exactly one of 'mcp' ({server, tool}) or 'python' (mod:func)")
        if self.action is None and self.category is None:
            raise ValueError("say which steps it is for: 'action', 'category' or both")
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(
                f"unknown category {self.category!r}; use one of {', '.join(CATEGORIES)}"
            )
        if unknown := sorted(template_fields(self.arguments or {}) - set(PLACEHOLDERS)):
            raise ValueError(
                f"'arguments' names unknown placeholders {unknown}; "
                f"use any of {', '.join(PLACEHOLDERS)}"
            )
        return self

    @property
    def name(self) -> str:
        """How records and summaries name this executor."""
        if self.mcp is not None:
            return f"mcp:{self.mcp.server}/{self.mcp.tool}"
        return f"python:{self.python}"


class ExecutorsConfig(BaseModel):
    """Every MCP server and route, checked together."""

    mcp_servers: dict[str, McpServer] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)


def template_fields(template: Any) -> set[str]:
    """Every ``{name}`` a template's strings use (nested dicts and lists included)."""
    if isinstance(template, str):
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if isinstance(template, dict):
        return set().union(*(template_fields(v) for v in template.values()))
    if isinstance(template, list):
        return set().union(*(template_fields(v) for v in template))
    return set()


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()
    )


def _servers(raw: Any, where: str) -> dict[str, McpServer]:
    if not isinstance(raw, dict):
        raise ExecutorConfigError(
            f"{where} must be a JSON object {{name: {{transport, ...}}}}, got {type(raw).__name__}"
        )
    servers = {}
    for name, spec in raw.items():
        try:
            servers[name] = McpServer.model_validate(spec)
        except ValidationError as exc:
            raise ExecutorConfigError(f"{where}[{name!r}]: {_problems(exc)}") from exc
    return servers


def _routes(raw: Any, where: str) -> list[Route]:
    if not isinstance(raw, list):
        raise ExecutorConfigError(
            f"{where} must be a JSON list of routes, got {type(raw).__name__}"
        )
    routes = []
    for i, spec in enumerate(raw):
        try:
            routes.append(Route.model_validate(spec))
        except ValidationError as exc:
            raise ExecutorConfigError(f"{where}[{i}]: {_problems(exc)}") from exc
    return routes


def _read_file(path: Path) -> tuple[Any, Any]:
    where = f"ARGO_EXECUTORS_FILE ({path})"
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ExecutorConfigError(f"{where} cannot be read: {exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise ExecutorConfigError(f"{where} is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or set(doc) - {"mcp_servers", "executors"}:
        raise ExecutorConfigError(
            f'{where} must be a JSON object {{"mcp_servers": {{...}}, "executors": [...]}}'
        )
    return doc.get("mcp_servers", {}), doc.get("executors", [])


def parse_config(
    mcp_servers: Any = None, executors: Any = None, file: Path | None = None
) -> ExecutorsConfig:
    """The configuration from the settings' values; raise `ExecutorConfigError` if unusable."""
    servers = _servers(mcp_servers or {}, "ARGO_MCP_SERVERS")
    routes = _routes(executors or [], "ARGO_EXECUTORS")
    if file is not None:
        file_servers, file_routes = _read_file(file)
        where = f"ARGO_EXECUTORS_FILE ({file})"
        more = _servers(file_servers, f"{where} mcp_servers")
        if twice := sorted(set(servers) & set(more)):
            raise ExecutorConfigError(
                f"MCP servers {twice} are defined in both ARGO_MCP_SERVERS and {where}; keep one"
            )
        servers |= more
        routes += _routes(file_routes, f"{where} executors")
    for i, route in enumerate(routes):
        if route.mcp is not None and route.mcp.server not in servers:
            raise ExecutorConfigError(
                f"executor route {i} ({route.name}) names MCP server {route.mcp.server!r}, "
                f"which is not configured; define it in ARGO_MCP_SERVERS "
                f"(configured: {', '.join(sorted(servers)) or 'none'})"
            )
    return ExecutorsConfig(mcp_servers=servers, routes=routes)

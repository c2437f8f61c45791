"""An executor that calls one tool of an MCP server (stdio or streamable HTTP).

Each call opens its own session through langchain-mcp-adapters'
`MultiServerMCPClient` (a stdio server is started for the call and stopped
after it), checks the tool exists, and invokes it as a LangChain tool call
whose id is the approval id. A tool that reports an error (``isError``), a
server that cannot be reached and a call that outlasts the route's timeout all
raise `ExecutorError`, so the step follows the orchestrator's retry/fail path.
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools

from argo_agents.executors.arguments import build_arguments, check_approval
from argo_agents.executors.config import McpServer, McpTarget
from argo_agents.executors.models import Approval, ExecutionRecord, ExecutorError, within
from argo_agents.planning.models import PlanStep


def _text(content: Any) -> str:
    """A tool message's content blocks as text."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content or []:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif isinstance(block, str):
            parts.append(block)
    return "\n".join(parts)


def _cause(exc: BaseException) -> BaseException:
    """The error inside the task groups of the MCP client (they wrap what really failed)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


class McpToolExecutor:
    """Calls ``target.tool`` on ``server`` with the step's approved arguments."""

    kind = "mcp"

    def __init__(
        self,
        name: str,
        server: McpServer,
        target: McpTarget,
        arguments: dict[str, Any] | None,
        timeout_s: float,
    ) -> None:
        self.name = name
        self._client = MultiServerMCPClient(
            {target.server: server.connection()},  # type: ignore[dict-item]
            handle_tool_errors=False,
        )
        self._target = target
        self._template = arguments
        self._timeout_s = timeout_s

    async def execute(self, step: PlanStep, approval: Approval) -> ExecutionRecord:
        """Call the tool; the record holds its text and structured content."""
        check_approval(step, approval)
        arguments = build_arguments(self._template, step, approval)
        started = time.monotonic()
        try:
            message = await within(self.name, self._timeout_s, self._call(arguments, approval))
        except ExecutorError:
            raise
        except Exception as exc:  # transport, server and tool failures of every kind
            cause = _cause(exc)
            if isinstance(cause, ExecutorError):
                raise cause from exc
            raise ExecutorError(f"{self.name} failed: {type(cause).__name__}: {cause}") from exc
        artifact = message.artifact
        structured = artifact.get("structured_content") if isinstance(artifact, dict) else None
        return ExecutionRecord(
            executor=self.name,
            kind="mcp",
            target=self._target.tool,
            approval_id=approval.approval_id,
            arguments=arguments,
            result={"text": _text(message.content), "structured": structured},
            duration_s=round(time.monotonic() - started, 3),
        )

    async def _call(self, arguments: dict[str, Any], approval: Approval) -> ToolMessage:
        async with self._client.session(self._target.server) as session:
            tools = {t.name: t for t in await load_mcp_tools(session, handle_tool_errors=False)}
            tool = tools.get(self._target.tool)
            if tool is None:
                raise ExecutorError(
                    f"{self.name}: server {self._target.server!r} has no tool "
                    f"{self._target.tool!r} (it has: {', '.join(sorted(tools)) or 'none'})"
                )
            call = {
                "type": "tool_call",
                "name": tool.name,
                "args": arguments,
                "id": approval.approval_id,
            }
            message = await tool.ainvoke(call)
        if not isinstance(message, ToolMessage):
            raise ExecutorError(f"{self.name}: unexpected tool answer {type(message).__name__}")
        return message

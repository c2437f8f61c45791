"""A real MCP server (FastMCP) whose tools record every call, for the executor tests.

Run as ``python tests/mcp_recorder_server.py LOG stdio`` or ``... LOG http PORT``:
each tool call appends one JSON line ``{"tool", "args", "pid"}`` to LOG, so a
test can read exactly what was called, with what, and when. ``python_deploy``
is the same recorder as a Python entry point (``tests.mcp_recorder_server:python_deploy``);
it logs to the file named by ``ARGO_TEST_RECORDER_LOG``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

LOG_ENV = "ARGO_TEST_RECORDER_LOG"


def record(log: str | Path, tool: str, args: dict[str, Any]) -> None:
    """Append one call to the log (one JSON line; appends of one line do not interleave)."""
    with open(log, "a", encoding="utf-8") as f:
        f.write(json.dumps({"tool": tool, "args": args, "pid": os.getpid()}) + "\n")


def calls(log: str | Path) -> list[dict[str, Any]]:
    """Every recorded call, in order ([] before the first)."""
    path = Path(log)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def python_deploy(**arguments: Any) -> dict[str, Any]:
    """A Python entry-point executor target: records its call and answers like a tool."""
    record(os.environ[LOG_ENV], "python_deploy", arguments)
    return {"deployed": True, "approval_id": arguments.get("approval_id")}


async def python_fail(**arguments: Any) -> None:
    """An entry point that fails (the step must fail, not pretend it was done)."""
    record(os.environ[LOG_ENV], "python_fail", arguments)
    raise RuntimeError("the deployment pipeline is down")


def build_server(log: str, port: int = 0) -> Any:
    """The FastMCP server with its recording tools."""
    from mcp.server.fastmcp import FastMCP

    server = FastMCP("argo-test-recorder", host="127.0.0.1", port=port, log_level="WARNING")

    @server.tool()
    def apply_change(
        step: dict[str, Any], approval_id: str, run_id: str, goal_id: str, goal: str
    ) -> dict[str, Any]:
        """Apply an approved change (ARGO's default argument envelope)."""
        record(
            log,
            "apply_change",
            {
                "step": step,
                "approval_id": approval_id,
                "run_id": run_id,
                "goal_id": goal_id,
                "goal": goal,
            },
        )
        return {"applied": step["id"], "approval_id": approval_id}

    @server.tool()
    def deploy(service: str, change: str, approval: str, cost_usd: float) -> str:
        """Deploy a change of a service (arguments from a route template)."""
        record(
            log,
            "deploy",
            {"service": service, "change": change, "approval": approval, "cost_usd": cost_usd},
        )
        return f"deployed {service}"

    @server.tool()
    def broken(step: dict[str, Any], approval_id: str) -> str:
        """A tool that always reports an error."""
        record(log, "broken", {"step_id": step.get("id"), "approval_id": approval_id})
        raise RuntimeError("the cluster refused the change")

    return server


def main(argv: list[str]) -> None:
    """``LOG stdio`` or ``LOG http PORT``."""
    log, transport = argv[0], argv[1]
    if transport == "stdio":
        build_server(log).run(transport="stdio")
    else:
        build_server(log, int(argv[2])).run(transport="streamable-http")


if __name__ == "__main__":
    main(sys.argv[1:])

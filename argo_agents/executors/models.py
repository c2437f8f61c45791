"""What an executor is given and what it hands back: the approval, the call, its record.

An executor acts on the world for one plan step, so it is given the step as
the approval gate cleared it (after the Director's edits) and an `Approval`
naming the decision that cleared it; its `ExecutionRecord` says which tool was
called with which arguments, and what it answered. Both are plain JSON models:
the record goes into the step's result and, through the sync engine, the stores.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, Field

from argo_agents.planning.models import PlanStep

T = TypeVar("T")

ExecutorKind = Literal["mcp", "python"]


def audit_id(run_id: str, round_id: str, step_id: str) -> str:
    """The id of the audit record of one decision (the approval id an executor is given)."""
    raw = "|".join((run_id, round_id, step_id))
    return f"audit-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


def auto_approval_id(run_id: str, step_id: str, step_hash: str) -> str:
    """The approval id of a step the policy let through without asking (stable per run)."""
    raw = "|".join((run_id, step_id, step_hash))
    return f"auto-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


class Approval(BaseModel):
    """Why a step may act: the gate's decision, as an executor receives it for its audit."""

    approval_id: str
    """The audit record's id of the Director's decision, or ``auto-...`` when the policy
    did not ask; stable for the run, so an executor may use it as an idempotency key."""
    run_id: str
    goal_id: str
    goal: str
    step_id: str
    step_hash: str
    """Hash of the step as cleared; the executor refuses any other version of it."""
    decision: Literal["approve", "edit", "auto"]
    by: str | None = None
    by_verified: bool = False
    at: datetime | None = None


class ExecutionRecord(BaseModel):
    """One executor call: what was called, with what, under which approval, and its answer."""

    executor: str
    """The configured executor, e.g. ``mcp:ops/deploy`` or ``python:ops.deploy:run``."""
    kind: ExecutorKind
    target: str
    """The MCP tool name, or the Python entry point ``module:function``."""
    approval_id: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    """The tool's answer: text and structured content (MCP), or the function's return value."""
    duration_s: float = 0.0


class ExecutorError(RuntimeError):
    """An executor was reached but its call failed (tool error, server down, exception)."""


class ExecutorTimeout(ExecutorError):
    """The executor's call did not answer within its route's ``timeout_s``."""


async def within(name: str, timeout_s: float, call: Awaitable[T]) -> T:
    """``call``'s result; `ExecutorError` naming the route's ``timeout_s`` when it has not
    answered in time (every executor bounds its call the same way)."""
    try:
        return await asyncio.wait_for(call, timeout_s)
    except TimeoutError as exc:
        raise ExecutorTimeout(
            f"{name}: no answer within {timeout_s:.0f}s (route timeout_s)"
        ) from exc


class NotApprovedError(ExecutorError):
    """An executor was asked to act for a step the approval gate has not cleared as it is."""


class Executor(Protocol):
    """The port: act on the world for one cleared step, and say what was done."""

    name: str

    async def execute(self, step: PlanStep, approval: Approval) -> ExecutionRecord:
        """Call the configured tool for ``step``; raise `ExecutorError` if the call fails."""
        ...

"""An executor that calls a Python function (``package.module:function``).

The function is imported when services are built (a missing module fails at
start, not at the first deployment) and called with the step's approved
arguments as keyword arguments; a plain function runs in a worker thread so it
cannot stall the event loop, a coroutine function is awaited. What it returns
must be JSON-able (otherwise its ``repr`` is recorded).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import time
from collections.abc import Callable
from typing import Any

import orjson

from argo_agents.executors.arguments import build_arguments, check_approval
from argo_agents.executors.config import ExecutorConfigError
from argo_agents.executors.models import (
    Approval,
    ExecutionRecord,
    ExecutorError,
    ExecutorTimeout,
    within,
)
from argo_agents.planning.models import PlanStep


def load_entry_point(spec: str) -> Callable[..., Any]:
    """The function ``module:function`` names; `ExecutorConfigError` says what is missing."""
    module_name, _, attr = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ExecutorConfigError(
            f"executor entry point {spec!r}: cannot import {module_name!r} ({exc}); "
            "install it or fix the module path"
        ) from exc
    for part in attr.split("."):
        if not hasattr(target, part):
            raise ExecutorConfigError(
                f"executor entry point {spec!r}: {module_name!r} has no {attr!r}"
            )
        target = getattr(target, part)
    if not callable(target):
        raise ExecutorConfigError(f"executor entry point {spec!r} is not callable")
    return target  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return repr(value)


class EntryPointExecutor:
    """Calls one Python function with the step's approved arguments."""

    kind = "python"

    def __init__(
        self, name: str, spec: str, arguments: dict[str, Any] | None, timeout_s: float
    ) -> None:
        self.name = name
        self._spec = spec
        self._function = load_entry_point(spec)
        self._template = arguments
        self._timeout_s = timeout_s

    async def execute(self, step: PlanStep, approval: Approval) -> ExecutionRecord:
        """Call the function; the record holds what it returned."""
        check_approval(step, approval)
        arguments = build_arguments(self._template, step, approval)
        started = time.monotonic()
        try:
            if inspect.iscoroutinefunction(self._function):
                call = self._function(**arguments)
            else:
                call = asyncio.to_thread(self._function, **arguments)
            result = await within(self.name, self._timeout_s, call)
        except ExecutorTimeout:
            raise
        except Exception as exc:  # the function may fail in any way; the step fails with it
            raise ExecutorError(f"{self.name} failed: {type(exc).__name__}: {exc}") from exc
        return ExecutionRecord(
            executor=self.name,
            kind="python",
            target=self._spec,
            approval_id=approval.approval_id,
            arguments=arguments,
            result=_jsonable(result),
            duration_s=round(time.monotonic() - started, 3),
        )

"""ARGO: a LangGraph multi-agent orchestrator with consistent persistence in four stores.

What a user of the Python API needs is importable from here: `Argo`, `GoalRun`,
`Context` (per-run settings) and the typed errors the API raises.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argo_agents.api import Argo, GoalRun
    from argo_agents.approval.decisions import InvalidResumeError
    from argo_agents.approval.escalation import InvalidEscalationAnswerError
    from argo_agents.orchestrator.context import Context
    from argo_agents.orchestrator.errors import (
        ApprovalRecordError,
        ConcurrentDecisionError,
        InvalidContextError,
        InvalidGoalError,
        NotAwaitingApprovalError,
        RunNotContinuableError,
        RunNotFoundError,
        ThreadBusyError,
    )

# name → module; imported on first use, so `import argo_agents.config` does not
# import LangGraph and four database clients.
_EXPORTS = {
    "Argo": "argo_agents.api",
    "GoalRun": "argo_agents.api",
    "Context": "argo_agents.orchestrator.context",
    "InvalidResumeError": "argo_agents.approval.decisions",
    "InvalidEscalationAnswerError": "argo_agents.approval.escalation",
    **dict.fromkeys(
        [
            "ApprovalRecordError",
            "ConcurrentDecisionError",
            "InvalidContextError",
            "InvalidGoalError",
            "NotAwaitingApprovalError",
            "RunNotContinuableError",
            "RunNotFoundError",
            "ThreadBusyError",
        ],
        "argo_agents.orchestrator.errors",
    ),
}
__all__ = [
    "ApprovalRecordError",
    "Argo",
    "ConcurrentDecisionError",
    "Context",
    "GoalRun",
    "InvalidContextError",
    "InvalidEscalationAnswerError",
    "InvalidGoalError",
    "InvalidResumeError",
    "NotAwaitingApprovalError",
    "RunNotContinuableError",
    "RunNotFoundError",
    "ThreadBusyError",
]
assert sorted(_EXPORTS) == __all__  # one list to keep in step with the lazy table


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'argo_agents' has no attribute {name!r}")

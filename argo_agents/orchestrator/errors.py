"""Typed errors of the orchestrator and its interfaces."""

from __future__ import annotations

from argo_agents.planning.goal_input import InvalidGoalError

__all__ = ["InvalidGoalError"]  # raised by planning, part of the orchestrator's API too


class RunNotFoundError(LookupError):
    """No run is checkpointed under that thread id."""


class NotAwaitingApprovalError(RuntimeError):
    """`resume` was called for a run that is not paused at the approval gate."""


class InvalidContextError(ValueError):
    """A per-run setting that is out of range (NaN, infinite, negative, unknown category)."""


class ThreadBusyError(RuntimeError):
    """A new goal was sent to a thread whose run has not finished (paused or running)."""


class ConcurrentDecisionError(RuntimeError):
    """Another resume answered the same approval round first; this one was not applied."""


class ApprovalRecordError(RuntimeError):
    """The gate's record of a run does not fit the run (another thread's, or closed)."""


class RunNotContinuableError(RuntimeError):
    """`continue_run` was called for a run that is finished or waiting for the Director."""

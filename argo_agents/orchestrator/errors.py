"""Typed errors of the orchestrator and its interfaces."""

from __future__ import annotations


class InvalidGoalError(ValueError):
    """A goal that cannot be planned (empty, too long, a bad budget)."""


class RunNotFoundError(LookupError):
    """No run is checkpointed under that thread id."""


class NotAwaitingApprovalError(RuntimeError):
    """`resume` was called for a run that is not paused at the approval gate."""

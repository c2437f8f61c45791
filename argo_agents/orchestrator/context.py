"""Per-run knobs, passed as LangGraph `context` (apart from infrastructure settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(kw_only=True)
class Context:
    """Run-time configuration of one orchestrator run."""

    max_step_attempts: int = 2
    """How often a failing step is tried before it is marked failed."""
    sync_timeout_s: float = 120.0
    """How long storage-sync waits for the four stores to apply the outcome."""
    budget_threshold_usd: float | None = None
    """Override of the approval policy's per-step budget threshold."""

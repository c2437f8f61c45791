"""Per-run knobs, passed as LangGraph `context` (apart from infrastructure settings).

Anything here comes from the caller of one run (the Python API, the CLI, a
LangGraph server client, Studio), so it is checked at construction and the
approval knobs can only make the server's policy stricter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydantic import ConfigDict

from argo_agents.approval.budget import BudgetValueError, check_amount
from argo_agents.orchestrator.errors import InvalidContextError
from argo_agents.planning.models import CATEGORIES
from argo_agents.run_choices import check_run_choices


@dataclass(kw_only=True)
class Context:
    """Run-time configuration of one orchestrator run."""

    # Studio and the server's API show the docstring under each field as its description.
    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True)

    max_step_attempts: int = 2
    """How often a failing step is tried before it is marked failed (1-10)."""
    sync_timeout_s: float = 120.0
    """How long storage-sync waits for the four stores to apply the outcome."""
    budget_threshold_usd: float | None = None
    """A lower per-step approval threshold for this run (never raises the server's)."""
    plan_threshold_usd: float | None = None
    """A lower per-goal approval threshold for this run (never raises the server's)."""
    extra_gated_categories: list[str] = field(default_factory=list)
    """Step categories this run also gates (never ungates one)."""
    max_agent_tool_calls: int = 8
    """How many tool calls an agent may make for one step (0-50; 0: no tools)."""
    agent_remit_usd: float = 1000.0
    """The most one step may cost on its agent's own authority (USD): a step estimated
    above it escalates to the Director (risk above remit) before it runs. Above the approval
    thresholds, so only exceptional steps ask."""
    model: str | None = None
    """The chat model of this run: 'offline' (rules and the stores, no model), or a model
    name on the deployment's OpenAI-compatible endpoint; unset: the deployment's default."""
    agents: list[str] | None = None
    """The agent kinds this run may assign (technical, research, creative); unset: all.
    A step none of them has a capability for fails, with the reason."""

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_step_attempts, bool)
            or not isinstance(self.max_step_attempts, int)
            or not 1 <= self.max_step_attempts <= 10
        ):
            raise InvalidContextError(
                f"max_step_attempts must be an integer from 1 to 10, got {self.max_step_attempts!r}"
            )
        calls = self.max_agent_tool_calls
        if isinstance(calls, bool) or not isinstance(calls, int) or not 0 <= calls <= 50:
            raise InvalidContextError(
                f"max_agent_tool_calls must be an integer from 0 to 50, got {calls!r}"
            )
        timeout = self.sync_timeout_s
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not (math.isfinite(timeout) and timeout > 0)
        ):
            raise InvalidContextError(
                f"sync_timeout_s must be a finite, positive number of seconds; got {timeout!r}"
            )
        for name in ("budget_threshold_usd", "plan_threshold_usd", "agent_remit_usd"):
            try:  # the same rule as a goal's budget
                check_amount(name, getattr(self, name))
            except BudgetValueError as exc:
                raise InvalidContextError(str(exc)) from exc
        check_run_choices(self.model, self.agents)
        if not isinstance(self.extra_gated_categories, list | tuple) or (
            set(self.extra_gated_categories) - set(CATEGORIES)
        ):
            raise InvalidContextError(
                f"extra_gated_categories must be a list of {', '.join(CATEGORIES)}; "
                f"got {self.extra_gated_categories!r}"
            )

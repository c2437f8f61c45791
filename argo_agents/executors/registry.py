"""Which steps change the world, which executor acts for each, and under which approval.

A step changes the world when its category is implementation or a gated one,
or when ARGO's approval classifier finds a gated act in it whatever its label
(the same findings the gate decides on). Such a step acts only through an
executor routed to it, first by its action, then by its categories, strictest
first; with none it is only prepared. The approval an executor receives is
read from the gate's own record, never from graph state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from argo_agents.approval.classifier import Finding
from argo_agents.approval.record import ApprovalRecord, step_digest
from argo_agents.config import Settings
from argo_agents.executors.config import ExecutorsConfig, Route, parse_config
from argo_agents.executors.models import (
    Approval,
    Executor,
    NotApprovedError,
    audit_id,
    auto_approval_id,
)
from argo_agents.planning.models import GATED_CATEGORIES, PlanStep

ACTING_CATEGORIES: frozenset[str] = frozenset({"implementation", *GATED_CATEGORIES})
"""Step categories whose work changes something outside ARGO."""


def acting_categories(step: PlanStep, findings: Sequence[Finding]) -> list[str]:
    """The categories by which ``step`` changes the world, strictest first ([] if it does not)."""
    found = [f.category for f in findings]
    if step.category in ACTING_CATEGORIES:
        found.append(step.category)
    return list(dict.fromkeys(found))


def approval_of(record: ApprovalRecord | None, step: PlanStep) -> Approval:
    """The decision that lets ``step`` act now; `NotApprovedError` if the gate has not cleared it.

    A step the Director approved (or approved with edits) carries the id of that
    decision's audit record; a step the policy let through carries an ``auto-`` id.
    """
    if record is None or not record.may_run(step):
        raise NotApprovedError(
            f"step {step.id!r} is not cleared by the approval gate's record; nothing was executed"
        )
    settled = [e for e in record.ledger if e.step_id == step.id and e.settles]
    digest = step_digest(step)
    common = {
        "run_id": record.run_id,
        "goal_id": record.goal_id,
        "goal": record.goal,
        "step_id": step.id,
        "step_hash": digest,
    }
    if not settled:
        return Approval(
            approval_id=auto_approval_id(record.run_id, step.id, digest), decision="auto", **common
        )
    last = settled[-1]
    if last.decision == "reject":
        raise NotApprovedError(f"step {step.id!r} was rejected; nothing was executed")
    return Approval(
        approval_id=audit_id(last.run_id, last.round, step.id),
        decision=last.decision,
        by=last.by,
        by_verified=last.by_verified,
        at=last.at,
        **common,
    )


def _build(route: Route, config: ExecutorsConfig) -> Executor:
    if route.mcp is not None:
        from argo_agents.executors.mcp import McpToolExecutor

        server = config.mcp_servers[route.mcp.server]
        return McpToolExecutor(route.name, server, route.mcp, route.arguments, route.timeout_s)
    from argo_agents.executors.python import EntryPointExecutor

    assert route.python is not None  # a Route has exactly one target
    return EntryPointExecutor(route.name, route.python, route.arguments, route.timeout_s)


@dataclass(frozen=True)
class ExecutorRegistry:
    """The configured executors, by route (config order)."""

    routes: tuple[tuple[Route, Executor], ...] = field(default=())

    @classmethod
    def empty(cls) -> ExecutorRegistry:
        """No executors: every step that would change the world is only prepared."""
        return cls()

    @classmethod
    def from_config(cls, config: ExecutorsConfig) -> ExecutorRegistry:
        """Executors for every route (entry points are imported now)."""
        return cls(tuple((r, _build(r, config)) for r in config.routes))

    @classmethod
    def from_settings(cls, settings: Settings) -> ExecutorRegistry:
        """From ``ARGO_MCP_SERVERS``, ``ARGO_EXECUTORS`` and ``ARGO_EXECUTORS_FILE``."""
        return cls.from_config(
            parse_config(settings.mcp_servers, settings.executors, settings.executors_file)
        )

    def __bool__(self) -> bool:
        return bool(self.routes)

    def for_step(self, step: PlanStep, categories: Sequence[str]) -> Executor | None:
        """The executor for a step that acts by ``categories``; None when none is routed.

        A route naming the step's action wins over one naming only a category; a
        route naming both needs both. Categories are tried strictest first.
        """
        if not categories:
            return None
        for route, executor in self.routes:
            if route.action == step.action and route.category in (None, *categories):
                return executor
        for category in categories:
            for route, executor in self.routes:
                if route.action is None and route.category == category:
                    return executor
        return None

    def names(self) -> list[str]:
        """Every configured executor's name."""
        return [e.name for _, e in self.routes]

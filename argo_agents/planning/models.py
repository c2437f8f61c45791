"""The plan vocabulary: steps, execution plans, and the ids and DAG helpers around them.

Every other part of ARGO (assignment, approval, the orchestrator graph, the
stores) speaks in these models, so they are deliberately permissive: an LLM
draft with a bad category still loads here and is judged by
:mod:`argo_agents.planning.validate`, which can say *everything* wrong with it
at once instead of failing on the first field.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

CATEGORIES: tuple[str, ...] = (
    "analysis",
    "research",
    "design",
    "implementation",
    "validation",
    "documentation",
    "external_integration",
    "production_deployment",
    "data_deletion",
    "data_migration",
)

# The work only the Director decides (docs/approval-policy.md), as step categories.
GATED_CATEGORIES: frozenset[str] = frozenset(
    {"external_integration", "production_deployment", "data_deletion", "data_migration"}
)

CAPABILITIES: frozenset[str] = frozenset(
    {
        "performance_analysis",
        "profiling",
        "code_analysis",
        "software_engineering",
        "testing",
        "devops",
        "deployment",
        "data_engineering",
        "database_migration",
        "integration",
        "security_review",
        "research",
        "data_analysis",
        "pattern_mining",
        "literature_review",
        "benchmarking",
        "ideation",
        "creative_design",
        "writing",
        "documentation",
        "ux_design",
    }
)


class PlanStep(BaseModel):
    """One unit of work, run by one agent once all its dependencies are done."""

    id: str = Field(description="Unique within the plan; referenced by dependencies.")
    action: str = Field(description="snake_case verb phrase, e.g. analyze_performance.")
    description: str = Field(description="What to do, naming the goal's subject.")
    category: str = Field(description="One of CATEGORIES; gated ones need approval.")
    required_capabilities: list[str] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list, description="Ids of earlier steps.")
    estimated_duration_s: int = 0
    estimated_cost_usd: float = 0.0
    template_duration_s: int | None = Field(
        default=None,
        description="The template's estimate, kept when measured history replaced it.",
    )


class ExecutionPlan(BaseModel):
    """A goal decomposed into a DAG of steps (docs/architecture.md)."""

    plan_id: str
    goal_id: str
    goal: str
    intent: str
    subject: str
    steps: list[PlanStep]
    rationale: list[str] = Field(default_factory=list)
    source: Literal["offline", "llm"] = "offline"
    repair_notes: list[str] = Field(default_factory=list)

    # Computed rather than stored so an edited or repaired plan can never carry
    # a stale estimate; it is still serialised for the stores and the Director.
    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimated_duration_s(self) -> int:
        """Critical-path length in seconds: steps in parallel branches overlap."""
        return critical_path_s(self.steps)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimated_cost_usd(self) -> float:
        """Sum of every step's estimated cost."""
        return round(sum(s.estimated_cost_usd for s in self.steps), 2)

    def step(self, step_id: str) -> PlanStep:
        """The step with this id; KeyError names the ids that do exist."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(f"plan {self.plan_id} has no step {step_id!r}; steps: {self.step_ids()}")

    def levels(self) -> list[list[str]]:
        """Step ids grouped by DAG level (longest chain of dependencies before them):
        the steps of a level are independent of each other and may run in parallel."""
        level: dict[str, int] = {}
        remaining = {s.id: set(s.dependencies) for s in self.steps}
        groups: list[list[str]] = []
        while remaining:
            ready = sorted(sid for sid, deps in remaining.items() if deps <= set(level))
            if not ready:  # impossible for a validated plan; guard against a loop
                raise ValueError(f"plan {self.plan_id} has a cycle among {sorted(remaining)}")
            for sid in ready:
                level[sid] = len(groups)
                del remaining[sid]
            groups.append(ready)
        return groups

    def step_ids(self) -> list[str]:
        """Step ids in plan order."""
        return [s.id for s in self.steps]


# Applicable patterns (docs/store-model.md): a success rate of at least 0.7, the best five.
STRONG_PATTERN = 0.7
MAX_PATTERNS = 5

# Task types a recorded pattern may carry, in the planner's intent vocabulary.
TASK_TYPE_ALIASES: dict[str, str] = {
    "optimization": "optimize",
    "optimisation": "optimize",
    "optimise": "optimize",
    "performance_optimization": "optimize",
    "deployment": "deploy",
    "integration": "integrate",
    "migration": "migrate",
    "deletion": "delete",
    "development": "build",
    "implementation": "build",
    "analysis": "research",
}


class Pattern(BaseModel):
    """A learned execution pattern as the stores give it back: which actions, how well they did.

    Lenient where the stores are: a missing count or rate read back as null is
    0, and ``step_sequence`` may arrive as JSON text (the sync engine's graph
    mapper writes an empty list, or one that is not all strings, as JSON).
    """

    model_config = ConfigDict(coerce_numbers_to_str=True)

    id: str
    task_type: str = Field(description="The intent it was learned for, e.g. optimize.")
    success_rate: float = Field(description="Share of its runs that succeeded, 0..1.")
    step_sequence: list[str] = Field(description="Its actions in plan order.")
    name: str | None = None
    occurrences: int = Field(default=0, description="How many runs followed it.")
    failure_points: list[str] = Field(default_factory=list, description="Actions that failed.")
    agent_types: list[str] = Field(default_factory=list, description="Agent kinds that ran it.")

    @field_validator("success_rate", "occurrences", mode="before")
    @classmethod
    def _null_is_zero(cls, value: Any) -> Any:
        return 0 if value is None else value

    @field_validator("step_sequence", "failure_points", "agent_types", mode="before")
    @classmethod
    def _sequence(cls, value: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                return [value]  # a lone action written as plain text
        return [str(v) for v in value] if isinstance(value, list) else []

    @property
    def intent(self) -> str:
        """The task type in intent vocabulary ("optimization" -> "optimize")."""
        raw = self.task_type.strip().casefold()
        return TASK_TYPE_ALIASES.get(raw, raw)

    @property
    def strong(self) -> bool:
        """Whether it is applicable at all: success rate at least :data:`STRONG_PATTERN`."""
        return self.success_rate >= STRONG_PATTERN


def normalise_goal(goal: str) -> str:
    """Case- and whitespace-insensitive form, so re-typed goals get the same id."""
    return " ".join(goal.split()).casefold()


def _digest(*parts: str) -> str:
    # A separator that cannot be typed into a goal keeps ("ab", "c") != ("a", "bc").
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def make_goal_id(goal: str, salt: str = "") -> str:
    """``goal-`` + 16 hex of sha256(normalised goal [+ salt]); salt separates re-runs."""
    norm = normalise_goal(goal)
    return "goal-" + (_digest(norm, salt) if salt else _digest(norm))


def make_plan_id(goal: str, salt: str = "", *, source: str = "offline") -> str:
    """``plan-`` + 16 hex; differs from the goal id and between offline and LLM plans."""
    return "plan-" + _digest("plan", source, normalise_goal(goal), salt)


_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def is_snake_case(text: str) -> bool:
    """True for ``analyze_performance``-style action names."""
    return bool(_SNAKE.match(text))


def to_snake_case(text: str) -> str:
    """Best-effort snake_case ("Analyze Performance!" -> "analyze_performance")."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text.strip())
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return text if text and text[0].isalpha() else f"step_{text}".rstrip("_")


def critical_path_s(steps: Iterable[PlanStep]) -> int:
    """Longest duration chain through the dependency DAG.

    Tolerates broken plans (unknown deps are ignored, a cycle's closing edge
    is skipped) because it is computed on every plan, valid or not.
    """
    by_id: dict[str, PlanStep] = {}
    for s in steps:
        by_id.setdefault(s.id, s)
    finish: dict[str, int] = {}
    on_stack: set[str] = set()

    def visit(sid: str) -> int:
        if sid in finish:
            return finish[sid]
        on_stack.add(sid)
        step = by_id[sid]
        start = 0
        for dep in step.dependencies:
            if dep in by_id and dep not in on_stack:
                start = max(start, visit(dep))
        on_stack.discard(sid)
        finish[sid] = start + max(step.estimated_duration_s, 0)
        return finish[sid]

    return max((visit(sid) for sid in by_id), default=0)


def ready_steps(
    plan: ExecutionPlan, done: Collection[str], blocked: Collection[str] = ()
) -> list[PlanStep]:
    """Steps that may start now: not done or blocked, every dependency done.

    ``blocked`` holds steps that must not run (rejected, failed, awaiting
    approval); their dependents never become ready because their deps are
    never done.
    """
    return [
        s
        for s in plan.steps
        if s.id not in done and s.id not in blocked and all(d in done for d in s.dependencies)
    ]


def dependents_closure(plan: ExecutionPlan, step_ids: Iterable[str]) -> set[str]:
    """Every step that transitively depends on any of ``step_ids``.

    The seeds themselves are excluded unless one depends on another; this is
    what must be skipped when a step is rejected or fails.
    """
    children: dict[str, list[str]] = {}
    for s in plan.steps:
        for dep in s.dependencies:
            children.setdefault(dep, []).append(s.id)
    found: set[str] = set()
    frontier = list(step_ids)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found

"""What an agent hands back for one plan step: a `StepResult` and the knowledge to keep.

The orchestrator integrates these results, the sync engine writes them (and
their knowledge items) to the four stores, and later agents read them back as
upstream input or as similar cases. So every field is JSON-friendly and the
knowledge ids are deterministic: re-running a step re-versions the same
knowledge instead of piling up near-duplicates.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, Field

AgentKind = Literal["technical", "research", "creative"]


def knowledge_id(goal_id: str, step_id: str, title: str) -> str:
    """``kn-`` + 16 hex of sha256(goal, step, title).

    The goal id is part of the key because step ids are action names
    ("analyze_performance") that repeat in every plan of the same intent.
    """
    raw = "\x1f".join((goal_id, step_id, " ".join(title.split()).casefold()))
    return "kn-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


class KnowledgeItem(BaseModel):
    """A finding worth remembering beyond this goal (written to every store)."""

    id: str
    title: str
    text: str
    tags: list[str] = Field(default_factory=list)

    @classmethod
    def for_step(
        cls, goal_id: str, step_id: str, title: str, text: str, tags: list[str]
    ) -> KnowledgeItem:
        """A knowledge item whose id is derived from the goal, the step and the title."""
        return cls(id=knowledge_id(goal_id, step_id, title), title=title, text=text, tags=tags)


class StepResult(BaseModel):
    """One agent's outcome for one step: what it found, made, and how sure it is."""

    step_id: str
    agent_id: str
    agent_kind: AgentKind
    summary: str
    findings: list[str] = Field(default_factory=list)
    artefacts: list[dict[str, Any]] = Field(
        default_factory=list, description="Each {name, kind, content}."
    )
    confidence: float = Field(ge=0.0, le=1.0)
    knowledge: list[KnowledgeItem] = Field(default_factory=list)
    sources: list[str] = Field(
        default_factory=list,
        description='Context used, e.g. "neo4j: 3 related goals"; or why none was.',
    )
    produced_by: Literal["offline", "llm"] = "offline"

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

from argo_agents.assignment.registry import AgentKind

# A model as graph state holds it: its JSON dump. State stays plain JSON so a
# checkpoint or the dev server's HTTP API needs no ARGO class, and a client's
# state edit arrives as JSON anyway; readers parse a dump once, into its model.
ModelDump = dict[str, Any]
# A tool call's arguments as a model sends them (JSON); the tool's pydantic args schema
# validates them, so they are typed where they are used.
ToolArgs = dict[str, Any]
# A record's fields as a store returns them (a query row, a node's properties): the
# stores hold JSON, and each reader picks the fields it knows.
StoreRow = dict[str, Any]


KNOWLEDGE_ID_PREFIX = "kn-"  # how a knowledge item a step derived is told from the user's records


def knowledge_id(goal_id: str, step_id: str, title: str) -> str:
    """``kn-`` + 16 hex of sha256(goal, step, title).

    The goal id is part of the key because step ids are action names
    ("analyze_performance") that repeat in every plan of the same intent.
    """
    raw = "\x1f".join((goal_id, step_id, " ".join(title.split()).casefold()))
    return KNOWLEDGE_ID_PREFIX + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


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


class ArtefactItem(BaseModel):
    """One entry of a ranking or an options list, as later steps read it."""

    key: str = Field(default="", description="The lens key it stands for, when it has one.")
    text: str


class Artefact(BaseModel):
    """Something a step produced: a plan, a checklist, a ranking, an options list..."""

    name: str
    kind: str = Field(description="checklist, ranking, options, plan, table, runbook, outline...")
    content: str
    items: list[ArtefactItem] = Field(
        default_factory=list,
        description="A ranking's or an options list's entries, best first: later steps "
        "read the decision from here, never from the wording of ``content``.",
    )


class Citation(BaseModel):
    """Where a piece of evidence lives: the store, the record's id and the named query."""

    store: str
    record_id: str
    query: str
    title: str = ""
    score: float | None = Field(
        default=None, description="Similarity, success rate, match or confidence, 0..1."
    )


class Figure(BaseModel):
    """A number computed from stored records, with the records it was computed from."""

    name: str
    value: float
    unit: str = ""
    records: list[str] = Field(default_factory=list, description="Record ids it rests on.")
    query: str = ""


class ToolUse(BaseModel):
    """One tool call of a step: what was asked, how much it found, how long it took."""

    tool: str
    args: ToolArgs = Field(default_factory=dict)
    records: int = 0
    seconds: float = 0.0
    cached: bool = False
    error: str | None = None


class StepResult(BaseModel):
    """One agent's outcome for one step: what it found, made, and how sure it is."""

    step_id: str
    agent_id: str
    agent_kind: AgentKind
    summary: str
    findings: list[str] = Field(default_factory=list)
    artefacts: list[Artefact] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)
    knowledge: list[KnowledgeItem] = Field(default_factory=list)
    sources: list[str] = Field(
        default_factory=list,
        description='Context used, e.g. "neo4j: 3 related goals"; or why none was.',
    )
    produced_by: Literal["offline", "llm"] = "offline"
    evidence: list[Citation] = Field(
        default_factory=list, description="Every record the findings rest on."
    )
    figures: list[Figure] = Field(default_factory=list)
    open_questions: list[str] = Field(
        default_factory=list, description="What the stores could not answer."
    )
    tool_calls: list[ToolUse] = Field(default_factory=list)
    team: list[str] = Field(
        default_factory=list, description="Teammates (agent ids) whose answers the step used."
    )

    @property
    def tool_time_s(self) -> float:
        """Seconds the step's tools took, all calls together."""
        return round(sum(t.seconds for t in self.tool_calls), 4)

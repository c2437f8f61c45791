"""Shared machinery of context gathering: guarded store calls, evidence, key terms.

Each agent kind reads the store it is best at (technical: the graph; research:
patterns and warehouse history; creative: the vector store). A store that is
down must not fail the step: the agent then works from the step and its
upstream results alone, and says so. That is the one place where a store
error is caught, and it is logged and recorded in ``sources``, never hidden.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

# typing_extensions: pydantic (Studio's schema view) needs it on Python < 3.12.
from typing_extensions import TypedDict

from argo_agents.agents.models import ModelDump
from argo_agents.analytics.graph_queries import Rows
from argo_agents.stores.errors import StoreError, StoreUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

_STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it its of on or our the their this that "
    "to with we all any each every new our your more less make makes making".split()
)
_WORD = re.compile(r"[0-9a-zA-Z\uac00-\ud7a3][0-9a-zA-Z_\-\uac00-\ud7a3]*")


EvidenceType = Literal[
    "related", "knowledge", "pattern", "similar_case", "previous_step", "history", "past_goal"
]


class Evidence(TypedDict):
    """One piece of stored context, cited the same way whichever store gave it."""

    type: EvidenceType
    id: str
    title: str
    score: float | None
    """The match, success rate, similarity or confidence, 0..1; None when it has none."""
    detail: str
    store: str


class RelatedNode(TypedDict):
    """A graph node near the goal."""

    label: str
    id: str
    distance: int


class HistoryStats(TypedDict):
    """What the warehouse's record of an action says (see `research.history_stats`)."""

    runs: int
    successes: int
    success_rate: float | None
    mean_duration_s: float | None
    agents: list[str]
    predicted_s: int | None


class SimilarCase(TypedDict):
    """A vector-store hit close to the step."""

    collection: str
    id: str
    title: str
    similarity: float
    document: str
    metadata: Mapping[str, object]


class GatheredContext(TypedDict, total=False):
    """The ``context`` an agent gathers: evidence and sources, plus its kind's extras.

    Plain JSON, like all graph state; each kind fills only its own extras.
    """

    kind: str
    evidence: list[Evidence]
    sources: list[str]
    """One line per store consulted, or why it gave nothing."""
    terms: list[str]
    """technical: the subject's key terms the text searches used."""
    related: list[RelatedNode]
    """technical: nodes within three hops of the goal."""
    knowledge: Rows
    """technical: knowledge items mentioning the key terms."""
    past_goals: Rows
    """technical: past goals mentioning the key terms."""
    previous: Rows
    """technical: earlier results of the same action in other goals."""
    task_type: str
    """research: the intent the patterns and history were read for."""
    patterns: list[ModelDump]
    """research: applicable `Pattern` dumps, best first."""
    history: HistoryStats
    """research: the warehouse's record of this action."""
    cases: list[SimilarCase]
    """creative: similar cases, most similar first."""


def key_terms(text: str, limit: int = 6) -> list[str]:
    """Lowercased content words of ``text`` in order, without stopwords or possessives."""
    terms: list[str] = []
    for word in _WORD.findall(text.casefold().replace("\u2019", "'")):
        word = word.removesuffix("'s").strip("-_")
        if len(word) >= 3 and word not in _STOPWORDS and word not in terms:
            terms.append(word)
    return terms[:limit]


@dataclass
class Gatherer:
    """Collects evidence and source lines; runs store calls so a store outage degrades.

    Each piece of evidence is an `Evidence`, so result production can cite any
    of them the same way.
    """

    sources: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    down: set[str] = field(default_factory=set)

    def call(self, store: str, what: str, fn: Callable[..., T], *args: Any, **kw: Any) -> T | None:
        """``fn(*args, **kw)``, or None (logged, noted in sources) when the store fails."""
        if store in self.down:
            return None
        try:
            return fn(*args, **kw)
        except StoreError as exc:
            # Deliberate degradation (see module docstring): the step still runs.
            if isinstance(exc, StoreUnavailable):
                self.down.add(store)  # later calls would only wait for the same timeout
            log.warning("agent context: %s failed for %s: %s", store, what, exc)
            self.sources.append(f"no context from {store} ({what}): {exc}")
            return None

    def add(
        self,
        type_: EvidenceType,
        id_: str,
        title: str,
        *,
        store: str,
        score: float | None = None,
        detail: str = "",
    ) -> None:
        """Record one piece of evidence."""
        self.evidence.append(
            {
                "type": type_,
                "id": id_,
                "title": title,
                "score": None if score is None else round(float(score), 3),
                "detail": detail,
                "store": store,
            }
        )

    def note(self, line: str) -> None:
        """Record what a store contributed (one line per query)."""
        self.sources.append(line)

    def context(self, kind: str) -> GatheredContext:
        """The ``context`` state value: evidence and sources (each kind adds its extras)."""
        return {"kind": kind, "evidence": self.evidence, "sources": self.sources}


def plural(n: int, word: str) -> str:
    """``"1 pattern"``, ``"3 patterns"``, ``"2 past activities"``."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") and word[-2:] != "ey" else f"{n} {word}s"

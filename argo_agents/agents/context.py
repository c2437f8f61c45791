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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from argo_agents.stores.errors import StoreError, StoreUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

_STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it its of on or our the their this that "
    "to with we all any each every new our your more less make makes making".split()
)
_WORD = re.compile(r"[0-9a-zA-Z\uac00-\ud7a3][0-9a-zA-Z_\-\uac00-\ud7a3]*")


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

    Evidence items are dicts with ``type`` (related, knowledge, pattern,
    similar_case, previous_step, history), ``id``, ``title``, ``score`` (or
    None), ``detail`` and ``store``, so result production can cite any of them
    the same way.
    """

    sources: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
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
        type_: str,
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

    def context(self, kind: str, **extra: Any) -> dict[str, Any]:
        """The ``context`` state value: evidence, sources and kind-specific extras."""
        return {"kind": kind, "evidence": self.evidence, "sources": self.sources, **extra}


def plural(n: int, word: str) -> str:
    """``"1 pattern"``, ``"3 patterns"``, ``"2 past activities"``."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") and word[-2:] != "ey" else f"{n} {word}s"

"""Research agent context: applicable patterns (graph, cached in Redis) and warehouse history.

Patterns are the "applicable patterns" query (docs/store-model.md) (task type, success rate
≥ 0.7, best five; :mod:`argo_agents.analytics.graph_queries`), cached for
1800 s; history is every recorded activity of this action or task type, from
which success rate, typical duration and a completion estimate follow.
"""

from __future__ import annotations

import hashlib
import json
import time
from statistics import mean

from argo_agents.agents.deps import AgentDeps
from argo_agents.agents.gathering import GatheredContext, Gatherer, HistoryStats, plural
from argo_agents.agents.state import AgentState, step_of
from argo_agents.analytics.graph_queries import applicable_patterns
from argo_agents.analytics.queries import Rows, predict_completion_s, task_history
from argo_agents.planning.models import Pattern
from argo_agents.stores.records import CacheEntry

PATTERN_CACHE_TTL_S = 1800  # applicable patterns are cached 30 min


def patterns_cache_key(task_type: str) -> str:
    """Redis key of the cached applicable patterns (invalidate it when a pattern changes)."""
    return f"patterns:applicable:{task_type}"


def _patterns(g: Gatherer, deps: AgentDeps, task_type: str) -> list[Pattern]:
    key = patterns_cache_key(task_type)
    cached = g.call("redis", "pattern cache", deps.stores.cache.get_many, [key])
    if cached and key in cached:
        patterns = [Pattern.model_validate(p) for p in cached[key]]
        origin = "redis cache"
    else:
        found = g.call(
            "neo4j", "applicable patterns", applicable_patterns, deps.stores.graph, task_type
        )
        if found is None:
            return []
        patterns, origin = found, "neo4j"
        # An empty answer is not cached: it would hide a newly learned pattern
        # for 30 minutes, and a miss costs one indexed graph query.
        if patterns:
            value = [p.model_dump() for p in patterns]
            text = json.dumps(value, sort_keys=True, default=str)
            # A fresh version per refresh so the compare-version-and-set always accepts it.
            entry = CacheEntry(
                key=key,
                value=value,
                version=int(time.time() * 1000),
                hash=hashlib.sha256(text.encode()).hexdigest(),
                ttl_s=PATTERN_CACHE_TTL_S,
            )
            g.call("redis", "pattern cache write", deps.stores.cache.put_many, [entry])
    for p in patterns:
        g.add(
            "pattern",
            p.id,
            p.name or p.id,
            store="neo4j",
            score=p.success_rate,
            detail=" → ".join(p.step_sequence),
        )
    best = f" (best {patterns[0].success_rate:.2f})" if patterns else ""
    g.note(
        f"neo4j: {plural(len(patterns), 'applicable pattern')} for {task_type}{best}, via {origin}"
    )
    return patterns


def history_stats(rows: Rows) -> HistoryStats:
    """Runs, successes, success rate, mean duration, agents and a completion estimate."""
    durations = [float(r["duration_s"]) for r in rows if r.get("duration_s") is not None]
    successes = sum(1 for r in rows if r.get("success"))
    return {
        "runs": len(rows),
        "successes": successes,
        "success_rate": round(successes / len(rows), 3) if rows else None,
        "mean_duration_s": round(mean(durations), 1) if durations else None,
        "agents": sorted({str(r["agent_id"]) for r in rows if r.get("agent_id")}),
        # Neutral speed and load: the estimate is for "a typical agent".
        "predicted_s": round(predict_completion_s(durations, 1.0, 0.5)) if durations else None,
    }


def _history(g: Gatherer, deps: AgentDeps, task_type: str, action: str) -> HistoryStats:
    rows = g.call(
        "bigquery", "task history", task_history, deps.stores.warehouse, task_type, action=action
    )
    if rows is None:
        return history_stats([])
    stats = history_stats(rows)
    if rows:
        g.add(
            "history",
            f"history:{action}",
            f"{action} / {task_type} history",
            store="bigquery",
            score=stats["success_rate"],
            detail=f"{stats['runs']} runs, mean {stats['mean_duration_s']} s",
        )
        g.note(
            f"bigquery: {plural(stats['runs'], 'past activity')} of {action}/{task_type} "
            f"({stats['success_rate']:.0%} success, mean {stats['mean_duration_s']} s)"
        )
    else:
        g.note(f"bigquery: no past activity of {action}/{task_type}")
    return stats


def gather_research(deps: AgentDeps, state: AgentState) -> GatheredContext:
    """Applicable patterns for the goal's intent and the history of this action."""
    g = Gatherer()
    task_type = state["intent"]
    patterns = [p.model_dump() for p in _patterns(g, deps, task_type)]
    history = _history(g, deps, task_type, step_of(state).action)
    return {
        **g.context("research"),
        "task_type": task_type,
        "patterns": patterns,
        "history": history,
    }

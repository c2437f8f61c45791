"""The agents' built-in tools: read-only LangChain tools over the four stores.

Every tool answers with a `ToolOutput`: the records it found, each citing its
store, its record id and the named query that found it, so a result can say
exactly what each finding rests on. The model sees the output as compact JSON;
the typed output travels as the tool message's artifact. Tools are built per
run (`tools_for`): they close over the run's stores and scope, and each agent
kind gets the tools that fit it. A store that fails gives an output with its
``error`` (the step still runs and says what it could not read). Outputs are
cached in Redis for the run, keyed by tool, arguments and run id, so a second
read of the same data in one run costs one Redis round trip.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from argo_agents.agents.deps import AgentDeps
from argo_agents.agents.models import (
    KNOWLEDGE_ID_PREFIX,
    AgentKind,
    Citation,
    ModelDump,
    StoreRow,
    ToolArgs,
)
from argo_agents.analytics import graph_queries as gq
from argo_agents.analytics import queries as wq
from argo_agents.stores.errors import StoreError
from argo_agents.stores.records import CacheEntry

log = logging.getLogger(__name__)

TOOL_CACHE_TTL_S = 300  # one run's reads; short, so nothing stale outlives it
MAX_REQUESTS_PER_STEP = 2  # an agent's help requests in one step (bounded, as messages are)
MIN_SIMILARITY = 0.2  # below this a vector hit is mostly shared vocabulary
_FIELD_CHARS = 240  # long texts are cut for the model; the record id leads to the rest

Store = Literal["redis", "neo4j", "bigquery", "chroma"]  # the stores by their one name


class Record(Citation):
    """One record a tool found: its citation, a readable title, a score and its fields."""

    fields: StoreRow = Field(default_factory=dict)


def self_written(r: Record) -> bool:
    """Whether a record is text an earlier ARGO step wrote about its own work (a knowledge
    item a step derived, or a step's result): cited, but no evidence the goal is understood
    better, since a run that cites its predecessors' wording learns nothing new."""
    return (
        r.record_id.startswith(KNOWLEDGE_ID_PREFIX)
        or r.query == "previous_results"
        or r.fields.get("collection") == "step_result"
    )


class ToolOutput(BaseModel):
    """What one tool call found (or why it found nothing)."""

    tool: str
    args: ToolArgs = Field(default_factory=dict)
    records: list[Record] = Field(default_factory=list)
    note: str = ""
    error: str | None = None
    seconds: float = 0.0
    cached: bool = False

    def for_model(self) -> str:
        """Compact JSON for the model: the records with their citations, or the error."""
        body: StoreRow = {"tool": self.tool, "note": self.note}  # the JSON the model reads
        if self.error:
            body["error"] = self.error
        body["records"] = [
            {
                "store": r.store,
                "record_id": r.record_id,
                "query": r.query,
                "title": r.title,
                "score": r.score,
                **{k: _short(v) for k, v in r.fields.items()},
            }
            for r in self.records
        ]
        return json.dumps(body, default=str, ensure_ascii=False)


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _FIELD_CHARS:
        return value[: _FIELD_CHARS - 1] + "…"
    return value


class ToolFailed(Exception):
    """A tool could not read its store (a store error or a failed embedding)."""


@dataclass(frozen=True)
class RunScope:
    """What the tools know of the run: which goal and step they read for."""

    run_id: str
    goal_id: str
    intent: str
    subject: str
    step_id: str
    action: str
    dependencies: tuple[str, ...] = ()
    agent_id: str = ""
    team: tuple[str, ...] = ()
    """The step's teammates (agent ids): the only agents `ask_agent` may name."""


# ---- argument schemas (what the model sees) ------------------------------------------------
class QueryArgs(BaseModel):
    """A free-text search."""

    query: str = Field(description="What to look for, in plain words.")
    k: int = Field(default=5, ge=1, le=10, description="How many hits at most.")


class NoArgs(BaseModel):
    """No arguments: the tool reads for the current goal and step."""


class DepthArgs(BaseModel):
    """How far to walk the graph from the goal."""

    max_depth: int = Field(default=3, ge=1, le=3, description="Hops from the goal node.")


class TermsArgs(BaseModel):
    """Key terms to look for in stored text."""

    terms: list[str] = Field(
        min_length=1, max_length=6, description="Lowercase key words, e.g. ['checkout', 'query']."
    )


class ActionArgs(BaseModel):
    """A step action, e.g. analyze_performance."""

    action: str = Field(description="The action name of a plan step.")
    days: int = Field(default=90, ge=1, le=365, description="How far back to look.")


class DaysArgs(BaseModel):
    """A time window."""

    days: int = Field(default=30, ge=1, le=365, description="How many days back to look.")


class AskArgs(BaseModel):
    """A question for an agent of another kind."""

    kind: AgentKind = Field(description="technical, research or creative (not your own kind).")
    question: str = Field(min_length=3, max_length=500, description="What you need from it.")
    agent_id: str | None = Field(
        default=None, description="A teammate's id (your step's team), to ask that agent itself."
    )


class PatternArgs(BaseModel):
    """A task type (the goal's intent) and a success threshold."""

    task_type: str = Field(description="optimize, research, build, integrate, migrate, ...")
    min_success_rate: float = Field(default=0.5, ge=0.0, le=1.0)


# ---- the reads --------------------------------------------------------------------------------
Found = tuple[list[Record], str]


class _Reads:
    """The store reads behind the tools, for one run's deps and scope."""

    def __init__(self, deps: AgentDeps, scope: RunScope, kind: AgentKind | None = None) -> None:
        self.deps, self.scope, self.kind = deps, scope, kind
        self.asked = 0

    def ask_agent(self, kind: AgentKind, question: str, agent_id: str | None = None) -> Found:
        """REQUEST help from another kind of agent (or a teammate) and use its RESPONSE."""
        from argo_agents.collaboration.helpers import ask

        if kind == self.kind:
            raise ToolFailed(f"ask another kind of agent, not {kind}")
        if agent_id is not None and agent_id not in self.scope.team:
            team = ", ".join(self.scope.team) or "none"
            raise ToolFailed(f"{agent_id} is not on this step's team (its team: {team})")
        if self.asked >= MAX_REQUESTS_PER_STEP:
            raise ToolFailed(f"at most {MAX_REQUESTS_PER_STEP} requests per step")
        self.asked += 1
        request, response = ask(self.deps, self.scope, self.kind, kind, question, agent_id)
        records = [Record.model_validate(r) for r in response.payload.get("records", [])]
        note = (
            f"{kind} agent answered request {request.id} ({response.id}) "
            f"with {len(records)} record(s)"
        )
        return records, note

    def _embed(self, text: str) -> list[float]:
        try:
            return list(self.deps.embedder.embed_query(text))
        # Deliberately broad: each embedding provider fails in its own way; the
        # tool then reports the failure instead of failing the step.
        except Exception as exc:
            raise ToolFailed(f"embedding failed: {type(exc).__name__}: {exc}") from exc

    def _vector(self, collection: str, text: str, k: int, query: str) -> list[Record]:
        hits = self.deps.stores.vectors.search(collection, self._embed(text), k=k)
        own = self.scope.goal_id
        return [
            Record(
                store="chroma",
                record_id=h.id,
                query=query,
                title=_title(h.metadata, h.document),
                score=round(h.similarity, 3),
                fields={"collection": collection, "text": " ".join(h.document.split())},
            )
            for h in hits
            if h.similarity >= MIN_SIMILARITY and h.metadata.get("goal_id") != own and h.id != own
        ]

    def knowledge_search(self, query: str, k: int = 5) -> Found:
        found = self._vector("knowledge", query, k, "knowledge_search") + self._chunks(query, k)
        found.sort(key=lambda r: -(r.score or 0))
        # ARGO's own earlier items repeat the question's words, so they outscore the user's
        # documents after a few runs on a subject: they keep one place (their best), more
        # only when too few documents match.
        docs = [r for r in found if not self_written(r)]
        own = [r for r in found if self_written(r)]
        picked = docs[: k - min(1, len(own))]
        picked += own[: k - len(picked)]
        picked.sort(key=lambda r: -(r.score or 0))
        return picked, f"{len(picked)} knowledge items and document chunks for {query!r}"

    def _chunks(self, query: str, k: int) -> list[Record]:
        try:
            from argo_agents.ingest.search import search_knowledge
        except ImportError:  # a tree without the ingest package: knowledge items only
            return []
        return [
            Record(
                store="chroma",
                record_id=h.chunk_id,
                query="knowledge_search",
                title=h.citation or h.doc_id,  # "document title › heading path"
                score=h.score,
                fields={"doc_id": h.doc_id, "uri": h.uri, "heading": h.heading, "text": h.snippet},
            )
            for h in search_knowledge(self.deps.stores, self.deps.embedder, query, k)
            if h.score >= MIN_SIMILARITY
        ]

    def similar_cases(self, query: str, k: int = 5) -> Found:
        records = self._vector("knowledge", query, k, "similar_cases")
        records += self._vector("step_result", query, k, "similar_cases")
        records.sort(key=lambda r: -(r.score or 0))
        return records[:k], f"{len(records[:k])} past knowledge items and step results"

    def similar_goals(self, query: str, k: int = 5) -> Found:
        records = self._vector("goal", query, k, "similar_goals")
        nodes = self.deps.stores.graph.get_nodes("Goal", [r.record_id for r in records])
        for r in records:
            node = nodes.get(r.record_id) or {}
            r.fields["status"] = node.get("status") or "unknown"
            r.title = str(node.get("text") or r.title)
        return records, f"{len(records)} past goals like {query!r}, with how they ended"

    def related_entities(self, max_depth: int = 3) -> Found:
        graph = self.deps.stores.graph
        related = graph.related("Goal", self.scope.goal_id, max_depth=max_depth, limit=50)
        props: dict[tuple[str, str], StoreRow] = {}
        for label in {lb for lb, _, _ in related}:
            ids = [i for lb, i, _ in related if lb == label]
            props.update({(label, i): p for i, p in graph.get_nodes(label, ids).items()})
        records = [
            Record(
                store="neo4j",
                record_id=node_id,
                query="related_nodes",
                title=_title(props.get((label, node_id), {}), f"{label} {node_id}"),
                fields={"label": label, "distance": distance},
            )
            for label, node_id, distance in related
        ]
        return records, f"{len(records)} nodes within {max_depth} hops of goal {self.scope.goal_id}"

    def dependency_paths(self) -> Found:
        rows = gq.goal_steps(self.deps.stores.graph, self.scope.goal_id)
        records = [
            Record(
                store="neo4j",
                record_id=str(r["id"]),
                query="goal_steps",
                title=str(r.get("action") or r["id"]),
                fields={
                    "status": r.get("status"),
                    "agent_id": r.get("agent_id"),
                    "depends_on": sorted(str(d) for d in r.get("depends_on") or [] if d),
                },
            )
            for r in rows
        ]
        return records, f"{len(records)} steps in the plan of goal {self.scope.goal_id}"

    def graph_mentions(self, terms: list[str]) -> Found:
        terms = [t.casefold() for t in terms if t.strip()]
        graph = self.deps.stores.graph
        records = [
            _mention(r, "knowledge_mentioning", str(r.get("title") or r["id"]), terms)
            for r in gq.knowledge_mentioning(graph, terms)
        ]
        records += [
            _mention(r, "goals_mentioning", str(r.get("text") or r["id"]), terms)
            for r in gq.goals_mentioning(graph, terms, exclude_goal_id=self.scope.goal_id)
        ]
        return records, f"{len(records)} knowledge items and past goals mentioning {terms}"

    def earlier_results(self, action: str, days: int = 90) -> Found:
        rows = gq.previous_results(
            self.deps.stores.graph, action, exclude_goal_id=self.scope.goal_id
        )
        records = [
            Record(
                store="neo4j",
                record_id=str(r["id"]),
                query="previous_results",
                title=str(r.get("summary") or r["id"]),
                score=None if r.get("confidence") is None else float(r["confidence"]),
                fields={"goal_id": r.get("goal_id"), "step_id": r.get("step_id")},
            )
            for r in rows
        ]
        return records, f"{len(records)} earlier results of {action} in other goals"

    def step_history(self, action: str, days: int = 90) -> Found:
        rows = wq.step_history(
            self.deps.stores.warehouse, action, exclude_task_id=self.scope.goal_id, days=days
        )
        records = [
            Record(
                store="bigquery",
                record_id=str(r["id"]),
                query="step_history",
                title=f"{r.get('activity_type')} by {r.get('agent_id')} in {r.get('task_id')}",
                fields={
                    "success": bool(r.get("success")),
                    "duration_s": _seconds(r.get("duration_ms")),
                    "agent_id": r.get("agent_id"),
                    "task_id": r.get("task_id"),
                },
            )
            for r in rows
        ]
        return records, f"{len(records)} past runs of {action} in {days} days"

    def agent_performance(self, days: int = 30) -> Found:
        rows = wq.agent_performance(self.deps.stores.warehouse, days=days)
        records = [
            Record(
                store="bigquery",
                record_id=str(r["agent_id"]),
                query="agent_performance",
                title=f"agent {r['agent_id']}",
                score=_rate(r.get("successful_activities"), r.get("total_activities")),
                fields={
                    k: r.get(k) for k in ("total_activities", "avg_duration_ms", "active_days")
                },
            )
            for r in rows
        ]
        return records, f"{len(records)} agents active in {days} days"

    def event_patterns(self, days: int = 30) -> Found:
        rows = wq.event_pattern_stats(self.deps.stores.warehouse, days=days)
        records = [
            Record(
                store="bigquery",
                record_id=str(r["event_type"]),
                query="event_pattern_stats",
                title=f"{r['event_type']} events",
                fields={
                    k: r.get(k) for k in ("total_events", "active_days", "avg_events_per_hour")
                },
            )
            for r in rows
        ]
        return records, f"{len(records)} event types in {days} days"

    def learned_patterns(self, task_type: str, min_success_rate: float = 0.5) -> Found:
        patterns = gq.applicable_patterns(
            self.deps.stores.graph, task_type, min_success_rate=min_success_rate
        )
        records = [
            Record(
                store="neo4j",
                record_id=p.id,
                query="applicable_patterns",
                title=p.name or p.id,
                score=p.success_rate,
                fields={"occurrences": p.occurrences, "step_sequence": list(p.step_sequence)},
            )
            for p in patterns
        ]
        return records, f"{len(records)} patterns for {task_type} at ≥ {min_success_rate:.0%}"

    def working_memory(self) -> Found:
        s = self.scope
        keys = [f"goal:{s.goal_id}", f"step:{s.goal_id}.{s.step_id}"]
        for dep in s.dependencies:
            keys += [f"step:{s.goal_id}.{dep}", f"step_result:{s.goal_id}.{dep}-result"]
        found = self.deps.stores.cache.get_many(keys)
        records = [
            Record(
                store="redis",
                record_id=key,
                query="working_memory",
                title=_title(value if isinstance(value, dict) else {}, key),
                fields={
                    k: v
                    for k, v in (value if isinstance(value, dict) else {"value": value}).items()
                    if k in ("status", "action", "summary", "confidence", "text", "value")
                },
            )
            for key, value in found.items()
        ]
        return records, f"{len(records)} of {len(keys)} working-memory keys of this run are set"


def _rate(part: Any, whole: Any) -> float | None:
    return round(float(part or 0) / float(whole), 3) if whole else None


def _mention(row: StoreRow, query: str, title: str, terms: Sequence[str]) -> Record:
    matched = [str(t) for t in row.get("matched") or []]
    fields: StoreRow = {"matched": matched}
    for key in ("text", "status"):
        if row.get(key) is not None:
            fields[key] = row[key]
    score = round(len(matched) / len(terms), 3) if terms else None
    return Record(
        store="neo4j",
        record_id=str(row["id"]),
        query=query,
        title=title,
        score=score,
        fields=fields,
    )


def _title(props: StoreRow, fallback: str) -> str:
    for key in ("title", "summary", "goal", "name", "action", "text"):
        if props.get(key):
            return " ".join(str(props[key]).split())[:120]
    text = " ".join(fallback.split())
    return text if len(text) <= 80 else text[:77] + "..."


# ---- the tools -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ToolSpec:
    """One built-in tool: its read, its argument schema, what it tells the model."""

    name: str
    store: Store
    args: type[BaseModel]
    description: str
    cache: bool = True


SPECS: dict[str, ToolSpec] = {
    s.name: s
    for s in (
        ToolSpec(
            "knowledge_search",
            "chroma",
            QueryArgs,
            "Search stored knowledge (ingested documents and earlier findings) by meaning. "
            "Returns hits with store, record_id and similarity score.",
        ),
        ToolSpec(
            "similar_cases",
            "chroma",
            QueryArgs,
            "Find past knowledge items and step results most similar to a description: "
            "what was tried for something like this before.",
        ),
        ToolSpec(
            "similar_goals",
            "chroma",
            QueryArgs,
            "Find past goals similar to a text, with the status each ended in.",
        ),
        ToolSpec(
            "related_entities",
            "neo4j",
            DepthArgs,
            "List the graph nodes linked to the current goal (plan, steps, agents, results, "
            "knowledge) up to max_depth hops away.",
        ),
        ToolSpec(
            "dependency_paths",
            "neo4j",
            NoArgs,
            "The current goal's plan from the graph: each step with its status, agent and the "
            "steps it depends on.",
        ),
        ToolSpec(
            "graph_mentions",
            "neo4j",
            TermsArgs,
            "Knowledge items and past goals in the graph whose text mentions the given terms, "
            "ranked by how many terms they mention.",
        ),
        ToolSpec(
            "earlier_results",
            "neo4j",
            ActionArgs,
            "Results of the same step action in other goals, most confident first.",
        ),
        ToolSpec(
            "step_history",
            "bigquery",
            ActionArgs,
            "The warehouse's record of past runs of a step action: success and duration of "
            "each run (named query step_history).",
        ),
        ToolSpec(
            "agent_performance",
            "bigquery",
            DaysArgs,
            "Per agent: activities, success rate, mean duration over a window "
            "(named query agent_performance).",
        ),
        ToolSpec(
            "event_patterns",
            "bigquery",
            DaysArgs,
            "Per event type: totals, active days and mean events per hour "
            "(named query event_pattern_stats).",
        ),
        ToolSpec(
            "learned_patterns",
            "neo4j",
            PatternArgs,
            "Execution patterns learned from earlier goals of a task type, with success rate, "
            "occurrences and step sequence.",
        ),
        ToolSpec(
            "ask_agent",
            "redis",
            AskArgs,
            "Ask an agent of another kind for help (a REQUEST message); its RESPONSE brings "
            "the records it found, each citable. Research knows the knowledge and history, "
            "Technical the graph of this goal, Creative similar past cases. At most two a step.",
            cache=False,  # a conversation, not a read of stored data
        ),
        ToolSpec(
            "working_memory",
            "redis",
            NoArgs,
            "This run's working memory in Redis: the goal, this step and its dependencies' "
            "steps and results as far as they are stored yet.",
            cache=False,  # it changes as the run goes on
        ),
    )
}

TOOLSETS: dict[AgentKind, tuple[str, ...]] = {
    # Technical: the graph (dependencies, what the goal touches) and metrics.
    "technical": (
        "dependency_paths",
        "related_entities",
        "graph_mentions",
        "earlier_results",
        "step_history",
        "agent_performance",
        "working_memory",
        "ask_agent",
    ),
    # Research: knowledge and history.
    "research": (
        "knowledge_search",
        "learned_patterns",
        "step_history",
        "event_patterns",
        "graph_mentions",
        "working_memory",
        "ask_agent",
    ),
    # Creative: similar cases and patterns.
    "creative": (
        "similar_cases",
        "similar_goals",
        "learned_patterns",
        "knowledge_search",
        "working_memory",
        "ask_agent",
    ),
}


def cache_key(run_id: str, tool: str, args: ToolArgs) -> str:
    """Redis key of one tool call's output within a run."""
    raw = json.dumps(args, sort_keys=True, default=str)
    return f"agent_tool:{run_id}:{tool}:{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


class _Runner:
    """Runs one tool's read with the run cache, timing and failure capture."""

    def __init__(self, spec: ToolSpec, reads: _Reads, deps: AgentDeps, run_id: str) -> None:
        self.spec, self.reads, self.deps, self.run_id = spec, reads, deps, run_id

    def __call__(self, **args: Any) -> tuple[str, ModelDump]:
        started = time.perf_counter()
        key = cache_key(self.run_id, self.spec.name, args)
        out = self._cached(key) if self.spec.cache else None
        if out is None:
            out = self._read(args)
            if self.spec.cache and out.error is None:
                self._store(key, out)
        out.seconds = round(time.perf_counter() - started, 4)
        return out.for_model(), out.model_dump(mode="json")

    def _read(self, args: ToolArgs) -> ToolOutput:
        fn: Callable[..., Found] = getattr(self.reads, self.spec.name)
        try:
            records, note = fn(**args)
        except (StoreError, ToolFailed) as exc:
            # Deliberate degradation: the step goes on and says what it could not read.
            log.warning("agent tool %s failed: %s", self.spec.name, exc)
            return ToolOutput(
                tool=self.spec.name, args=args, error=f"{self.spec.store}: {exc}", note="failed"
            )
        return ToolOutput(tool=self.spec.name, args=args, records=records, note=note)

    def _cached(self, key: str) -> ToolOutput | None:
        try:
            hit = self.deps.stores.cache.get_many([key]).get(key)
        except StoreError:
            return None
        if not hit:
            return None
        out = ToolOutput.model_validate(hit)
        out.cached = True
        return out

    def _store(self, key: str, out: ToolOutput) -> None:
        value = out.model_dump(mode="json")
        text = json.dumps(value, sort_keys=True, default=str)
        entry = CacheEntry(
            key=key,
            value=value,
            version=time.time_ns() // 1000,
            hash=hashlib.sha256(text.encode()).hexdigest(),
            ttl_s=TOOL_CACHE_TTL_S,
        )
        try:
            self.deps.stores.cache.put_many([entry])
        except StoreError as exc:  # a cache that cannot be written only costs a re-read
            log.warning("agent tool cache write failed: %s", exc)


def store_reads(deps: AgentDeps, run: RunScope, kind: AgentKind | None = None) -> _Reads:
    """The reads behind the tools, called directly (an agent answering a request)."""
    return _Reads(deps, run, kind)


def tools_for(kind: AgentKind, deps: AgentDeps, run: RunScope) -> list[BaseTool]:
    """The read-only tools of one agent kind, bound to this run's stores and scope."""
    reads = _Reads(deps, run, kind)
    return [
        StructuredTool.from_function(
            func=_Runner(SPECS[name], reads, deps, run.run_id),
            name=name,
            description=SPECS[name].description,
            args_schema=SPECS[name].args,
            response_format="content_and_artifact",
        )
        for name in TOOLSETS[kind]
    ]


def _seconds(ms: object) -> float | None:
    """The warehouse keeps durations in whole milliseconds (the source design's column)."""
    return round(float(ms) / 1000, 3) if isinstance(ms, int | float) else None

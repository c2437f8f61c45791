"""Domain lenses for offline results: what to measure, suspect, propose and check.

An offline result is specific because it looks at the subject through the
lens its words call for: "the checkout service's query latency" gets latency
percentiles, query suspects and indexing/caching options; "the legacy orders
table" gets row counts, integrity suspects and batching options. Suspects and
options share a ``key`` so a proposed option can say which bottleneck it
addresses. The data is kept here, apart from the logic, so it can be reviewed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Suspect:
    """A likely cause; ``words`` found in evidence or upstream findings support it."""

    key: str
    text: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Option:
    """A concrete remedy for the suspect with the same key."""

    key: str
    text: str
    tradeoff: str


@dataclass(frozen=True)
class Lens:
    """How to look at one kind of subject."""

    name: str
    keywords: tuple[str, ...]
    measures: tuple[str, ...]
    suspects: tuple[Suspect, ...]
    options: tuple[Option, ...]
    checks: tuple[str, ...]
    rollout: str = "behind a feature flag, enabled for a small share of traffic first"
    rollback: str = "switch the flag off; the change is reverted without a redeploy"


PERFORMANCE = Lens(
    "performance",
    (
        "latency",
        "slow",
        "performance",
        "throughput",
        "response",
        "query",
        "queries",
        "speed",
        "cpu",
        "memory",
        "load",
        "p95",
        "p99",
        "timeout",
        "optimi",
        "fast",
        "code",
    ),
    (
        "p50/p95/p99 latency under a representative load profile",
        "throughput at saturation (requests/s)",
        "error and timeout rate",
        "CPU, memory and GC time per instance",
        "the ten slowest queries or calls by total time",
    ),
    (
        Suspect(
            "db",
            "unindexed or N+1 database queries",
            ("query", "queries", "index", "sql", "database", "n+1", "scan"),
        ),
        Suspect(
            "io",
            "synchronous downstream calls on the request path",
            ("downstream", "http", "api", "network", "remote", "call"),
        ),
        Suspect(
            "cache",
            "missing or ineffective caching of hot reads",
            ("cache", "hit rate", "repeated", "hot"),
        ),
        Suspect(
            "contention",
            "lock or connection-pool contention under concurrency",
            ("lock", "pool", "contention", "concurren", "thread"),
        ),
        Suspect(
            "payload",
            "oversized payloads and serialisation cost",
            ("payload", "json", "serializ", "serialis", "size"),
        ),
    ),
    (
        Option(
            "db",
            "add the missing indexes and batch the N+1 queries",
            "low effort, large gain when queries dominate; verify write amplification",
        ),
        Option(
            "cache",
            "add a read-through Redis cache for hot reads with TTL and invalidation on update",
            "big win for repeated reads; adds staleness to manage",
        ),
        Option(
            "io",
            "move non-critical downstream calls off the request path (queue) and "
            "parallelise the rest",
            "cuts tail latency; needs idempotent consumers",
        ),
        Option(
            "contention",
            "right-size connection pools and shorten lock scope",
            "cheap to try; gains only under concurrency",
        ),
        Option(
            "payload",
            "trim payloads: select only needed fields, paginate, compress",
            "moderate gain; may need client changes",
        ),
    ),
    (
        "p95 latency meets the target under the same load profile as the baseline",
        "error rate did not increase",
        "CPU and memory per request did not regress",
    ),
)

DATA = Lens(
    "data",
    (
        "data",
        "table",
        "tables",
        "records",
        "rows",
        "database",
        "schema",
        "dataset",
        "accounts",
        "migrat",
        "backup",
        "storage",
        "warehouse",
        "delete",
        "purge",
    ),
    (
        "row counts and size per table",
        "null, duplicate and orphan-reference rates",
        "read/write rate and peak hours",
        "downstream readers of each table",
    ),
    (
        Suspect(
            "integrity",
            "orphaned or duplicate records that break referential integrity",
            ("orphan", "duplicate", "integrity", "foreign", "reference"),
        ),
        Suspect(
            "volume",
            "data volume that exceeds a single batch or maintenance window",
            ("volume", "size", "large", "million", "rows", "batch"),
        ),
        Suspect(
            "readers",
            "hidden downstream readers that depend on the current shape",
            ("reader", "downstream", "report", "dependency", "depend"),
        ),
        Suspect(
            "types",
            "type and encoding mismatches between source and target",
            ("type", "encoding", "format", "schema", "mapping"),
        ),
    ),
    (
        Option(
            "integrity",
            "clean orphans and duplicates first, with a reviewed report",
            "safer run; adds a review cycle",
        ),
        Option(
            "volume",
            "process in idempotent, resumable batches keyed by primary key",
            "predictable windows; slower overall",
        ),
        Option(
            "readers",
            "publish a compatibility view and notify readers before the change",
            "avoids breaking reports; view must be retired later",
        ),
        Option(
            "types",
            "write an explicit column mapping with conversions and tests",
            "catches mismatches early; upfront work",
        ),
    ),
    (
        "row counts and checksums match between before and after",
        "no orphan references remain",
        "every known reader still runs",
    ),
    rollout="in idempotent batches keyed by primary key, after a dry run on a copy",
    rollback="restore the affected tables from the verified backup taken before the change",
)

DELIVERY = Lens(
    "delivery",
    (
        "deploy",
        "release",
        "production",
        "service",
        "rollout",
        "build",
        "feature",
        "api",
        "implement",
        "pipeline",
        "app",
        "application",
        "system",
    ),
    (
        "build and test pass rate",
        "error rate and latency of the current version",
        "open defects and change size",
        "rollback time",
    ),
    (
        Suspect(
            "tests",
            "gaps in automated tests around the changed paths",
            ("test", "coverage", "regression"),
        ),
        Suspect(
            "config",
            "configuration drift between environments",
            ("config", "environment", "env", "secret"),
        ),
        Suspect(
            "coupling",
            "tight coupling that turns small changes into big releases",
            ("coupling", "dependency", "monolith", "shared"),
        ),
        Suspect(
            "observability",
            "too little monitoring to see a bad rollout early",
            ("monitor", "alert", "metric", "log", "observab"),
        ),
    ),
    (
        Option(
            "tests",
            "add contract and regression tests for the changed paths first",
            "slower start, fewer rollbacks",
        ),
        Option(
            "config",
            "move configuration to versioned, validated settings per environment",
            "one-off effort; removes a class of incidents",
        ),
        Option("coupling", "ship behind a feature flag in small increments", "flag cleanup later"),
        Option(
            "observability",
            "define SLO alerts and a canary stage before full rollout",
            "needs traffic split; catches regressions early",
        ),
    ),
    (
        "all regression tests pass",
        "error rate and latency within SLO after rollout",
        "rollback rehearsed and under the agreed time",
    ),
    rollout="through a canary stage, then the full rollout once its SLO alerts stay quiet",
    rollback="redeploy the previous release (rehearsed) and keep the new one's logs",
)

INTEGRATION = Lens(
    "integration",
    (
        "integrat",
        "webhook",
        "third-party",
        "third party",
        "external",
        "stripe",
        "payment",
        "oauth",
        "connector",
        "partner",
        "vendor",
        "sdk",
    ),
    (
        "request volume and peak rate expected against the provider's limits",
        "provider latency and error codes in a sandbox",
        "data shared per call and its sensitivity",
    ),
    (
        Suspect("limits", "provider rate limits and quotas", ("rate", "limit", "quota", "429")),
        Suspect(
            "auth",
            "credential handling and token expiry",
            ("auth", "token", "oauth", "key", "secret"),
        ),
        Suspect(
            "failure",
            "provider outages without retries or idempotency",
            ("retry", "timeout", "outage", "idempot", "failure"),
        ),
        Suspect(
            "data",
            "sending more personal data than the use needs",
            ("personal", "pii", "privacy", "gdpr", "data"),
        ),
    ),
    (
        Option(
            "limits", "client-side rate limiting with backoff and a queue", "adds latency at peak"
        ),
        Option("auth", "store credentials in the secret manager and rotate them", "ops setup"),
        Option(
            "failure",
            "idempotency keys, retries with jitter and a circuit breaker",
            "more code paths to test",
        ),
        Option("data", "minimise and pseudonymise the fields sent", "may limit provider features"),
    ),
    (
        "sandbox end-to-end flow passes",
        "retries are idempotent (no duplicate effects)",
        "no secret appears in logs",
    ),
    rollout="against the provider's sandbox first, then live behind a kill switch",
    rollback="turn the kill switch off; queued calls are retried later, never dropped",
)

GENERAL = Lens(
    "general",
    (),
    (
        "the current state against the done-criteria",
        "effort and cost spent so far",
        "stakeholders and constraints",
    ),
    (
        Suspect("scope", "an unclear or moving scope", ("scope", "unclear", "requirement")),
        Suspect(
            "capacity",
            "too little time or people for the scope",
            ("time", "capacity", "people", "budget"),
        ),
        Suspect("knowledge", "missing domain knowledge", ("unknown", "knowledge", "research")),
    ),
    (
        Option("scope", "write down done-criteria and cut the scope to them", "less, but finished"),
        Option("capacity", "sequence the work and time-box each part", "slower, predictable"),
        Option(
            "knowledge",
            "run a short spike and reuse what similar past work found",
            "small delay up front",
        ),
    ),
    ("the done-criteria are met", "the Director's constraints are respected"),
)

LENSES: tuple[Lens, ...] = (PERFORMANCE, INTEGRATION, DATA, DELIVERY)


def mentions(text: str, word: str) -> int:
    """How often ``word`` begins a word of ``text`` ("optimi" counts "optimise")."""
    return len(re.findall(r"(?<![0-9a-z])" + re.escape(word), text.casefold()))


def pick_lens(*texts: str) -> Lens:
    """The lens whose keywords the texts mention most (ties: order above); else general."""
    blob = " ".join(texts)
    scored = [(sum(mentions(blob, k) for k in lens.keywords), -i) for i, lens in enumerate(LENSES)]
    hits, neg_index = max(scored)
    return LENSES[-neg_index] if hits > 0 else GENERAL


def supported(suspect: Suspect, texts: list[str]) -> list[str]:
    """The texts that mention one of the suspect's words."""
    return [t for t in texts if any(mentions(t, w) for w in suspect.words)]

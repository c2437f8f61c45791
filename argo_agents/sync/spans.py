"""Where an event's publish→applied time goes: the spans of one batch, and their breakdown.

A worker times every batch it processes (a few clock reads, always on): when
its read returned, when the batch was complete (after waiting for the baton,
`batch_size.Baton`), when the store writes started and ended, how long each
store's write took and how often it was tried again (the SIMILAR_TO stage runs
beside the vector write for items that carry their embedding, after it for the
others), and when the batch was settled and acknowledged. With
``ARGO_SYNC_SPANS=1`` in its environment it also keeps them in Redis
(`Metrics.record_spans`, one capped list per namespace), and `breakdown` turns
them into per-event parts:

- ``outbox``: publish (the time in the entry's stream id) → a worker's read
  returned it: queueing behind busy workers (or behind the baton, for a worker
  that waits for it before reading), and the read itself;
- ``baton``: read → the batch is complete: a light batch read before the baton
  was free waits for it (the events the worker reads after that wait spent
  the time in the outbox);
- ``prepare``: → the writes start: decoding, progress, tombstones, the circuit
  check, the conflict precheck, the lease;
- ``writes``: the stores' writes, in parallel, so the slowest one's time (the
  vector write, then SIMILAR_TO for items the vector stage embeds); each store's own time is
  its part too (``redis``, ``neo4j``, ``bigquery``, ``chroma``, ``similar``);
- ``settle``: writes end → acknowledged: conflicts, progress, receipts,
  XACK/XDEL and the batch's metrics.

``total`` (publish → settled) is the sum of outbox, baton, prepare, writes and
settle. Every event of a batch counts once, with its batch's figures.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson

ENV_FLAG = "ARGO_SYNC_SPANS"
PHASES = ("outbox", "baton", "prepare", "writes", "settle")


def spans_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``ARGO_SYNC_SPANS`` asks workers to keep their spans in Redis."""
    value = (os.environ if environ is None else environ).get(ENV_FLAG, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def now_ms() -> float:
    """Wall-clock milliseconds (comparable with the ms of a stream entry's id)."""
    return time.time() * 1000.0


@dataclass
class BatchSpans:
    """The timeline of one batch (wall-clock ms) and each store's write time (ms)."""

    published_ms: list[int]
    read_ms: float  # the worker's read returned
    ready_ms: float | None = None  # the batch was complete (after waiting for the baton)
    apply_ms: float | None = None  # the writes started (None: nothing was written)
    written_ms: float | None = None  # the writes ended
    end_ms: float | None = None  # settled and acknowledged
    stores: dict[str, float] = field(default_factory=dict)
    retries: dict[str, int] = field(default_factory=dict)  # store → writes tried again
    worker: str = ""  # the consumer that processed it

    def encode(self) -> bytes:
        """Compact JSON for the spans list."""
        return orjson.dumps(
            {
                "p": self.published_ms,
                "r": round(self.read_ms, 2),
                "t": _round(self.ready_ms),
                "a": _round(self.apply_ms),
                "w": _round(self.written_ms),
                "e": _round(self.end_ms),
                "s": {k: round(v, 2) for k, v in self.stores.items()},
                **({"x": self.retries} if self.retries else {}),
                **({"c": self.worker} if self.worker else {}),
            }
        )

    @classmethod
    def decode(cls, raw: str | bytes) -> BatchSpans:
        """The inverse of `encode`."""
        d = orjson.loads(raw)
        return cls(
            [int(p) for p in d["p"]],
            float(d["r"]),
            d.get("t"),
            d.get("a"),
            d.get("w"),
            d.get("e"),
            {k: float(v) for k, v in (d.get("s") or {}).items()},
            {k: int(v) for k, v in (d.get("x") or {}).items()},
            d.get("c", ""),
        )

    @property
    def ready(self) -> float:
        """When the batch was complete (the read, or the end of its wait for the baton)."""
        return self.read_ms if self.ready_ms is None else self.ready_ms

    def parts(self) -> dict[str, float]:
        """The batch-wide parts (ms): prepare, writes, settle and each store's write."""
        end = self.end_ms if self.end_ms is not None else self.ready
        start = self.apply_ms if self.apply_ms is not None else end
        written = self.written_ms if self.written_ms is not None else start
        return {
            "prepare": start - self.ready,
            "writes": written - start,
            "settle": end - written,
            **self.stores,
        }

    def waits(self, published_ms: int) -> tuple[float, float]:
        """One event's (outbox, baton) ms: until a read returned it, then until the batch
        was complete. An entry read after the wait (the top-up) spent it all in the outbox."""
        if published_ms > self.read_ms:
            return max(0.0, self.ready - published_ms), 0.0
        return self.read_ms - published_ms, self.ready - self.read_ms


def breakdown(batches: Iterable[BatchSpans]) -> dict[str, list[float]]:
    """Per-event values (ms) of ``total``, each phase and each store, index-aligned.

    A store that a batch did not write counts 0 for that batch's events, so
    every list has one value per event.
    """
    batches = list(batches)
    stores = sorted({s for b in batches for s in b.stores})
    out: dict[str, list[float]] = {k: [] for k in ("total", *PHASES, *stores)}
    for b in batches:
        parts = b.parts()
        for pub in b.published_ms:
            outbox, baton = b.waits(pub)
            out["outbox"].append(outbox)
            out["baton"].append(baton)
            for k in ("prepare", "writes", "settle", *stores):
                out[k].append(parts.get(k, 0.0))
            out["total"].append(
                outbox + baton + parts["prepare"] + parts["writes"] + parts["settle"]
            )
    return out


def percentiles(values: Sequence[float], qs: Sequence[int] = (50, 95, 99)) -> list[float]:
    """The given percentiles (whole numbers 1..99, inclusive method); zeros for no values."""
    if not values:
        return [0.0 for _ in qs]
    if len(values) == 1:
        return [float(values[0]) for _ in qs]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [cuts[q - 1] for q in qs]


def tail_profile(
    parts: Mapping[str, Sequence[float]], q: int = 95
) -> tuple[dict[str, float], dict[str, float]]:
    """Mean of every part over the events at or above the ``q``th percentile of ``total``,
    and over the events at or below the median: what the slow events spend more on."""
    total = parts["total"]
    if not total:
        return {}, {}
    cut, mid = percentiles(total, (q, 50))
    slow = [i for i, t in enumerate(total) if t >= cut]
    typical = [i for i, t in enumerate(total) if t <= mid]
    mean = lambda idx, k: statistics.fmean(parts[k][i] for i in idx) if idx else 0.0  # noqa: E731
    return ({k: mean(slow, k) for k in parts}, {k: mean(typical, k) for k in parts})


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)

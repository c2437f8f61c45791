"""Store writers: apply a group of jobs to one store with its batch methods.

One writer per store, each the same shape: keep the newest version of each
entity (older ones in the same batch are superseded), map jobs to records,
write them in one batch call, then ask the store about the ids it reported
stale to tell "already there" from a conflict (`job.judge`). The warehouse has
no fence of its own (rows are appended), so its writer reads the latest
versions first and appends only rows that are newer. Deletes are fenced the
same way: a delete never removes a newer version.

Writers raise `StoreUnavailable` / `StoreRejected` (or anything else) for the
whole group; the applier retries the store, and bisects any other error down
to the records that cause it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from argo_agents.stores.errors import StoreUnavailable
from argo_agents.stores.ports import (
    CachePort,
    GraphPort,
    LeasePort,
    VectorPort,
    WarehousePort,
)
from argo_agents.stores.records import StoredVersion
from argo_agents.sync import mappers
from argo_agents.sync.job import Job, StoreOutcome, judge, newest_per_entity
from argo_agents.sync.matrix import BIGQUERY, NEO4J, REDIS, SIMILAR, VECTOR

SEARCH_THREADS = 4
SEARCH_SLICE = 500  # items per batched similarity query (100 cost Chroma ~2x the CPU)
Embed = Callable[[Sequence[str]], list[list[float]]]


def _settle(
    jobs: Sequence[Job],
    stored: dict[str, StoredVersion],
    key: Callable[[Job], str],
    out: StoreOutcome,
) -> list[Job]:
    """Record done/conflict per job from ``stored``; return the jobs still to write."""
    todo = []
    for job in jobs:
        verdict = judge(job, stored.get(key(job)))
        if verdict == "done":
            out.applied.add(job.event_id)
        elif verdict == "conflict":
            out.conflicts[job.event_id] = stored[key(job)]
        else:
            todo.append(job)
    return todo


def _start(jobs: Sequence[Job]) -> tuple[list[Job], StoreOutcome]:
    newest, superseded = newest_per_entity(jobs)
    return newest, StoreOutcome(applied={j.event_id for j in superseded})


class CacheWriter:
    """Redis: compare-version-and-set with the TTL of the entity type, in one round trip.

    A cached value's TTL also erases its version fence, so an older version that
    arrives after the expiry (a redelivery, a replay) is checked against the
    newest version ever published for the entity (``published``, the outbox's
    counters) and skipped: it is superseded whatever the cache still holds.
    """

    name = REDIS

    def __init__(
        self,
        cache: CachePort,
        ttl_for: Callable[[str], int],
        published: Callable[[list[str]], dict[str, int]],
    ) -> None:
        self.cache = cache
        self.ttl_for = ttl_for
        self.published = published

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        """Apply the group; see the module docstring."""
        newest, out = _start(jobs)
        known = self.published([j.event.entity_key for j in newest])
        superseded = {j.event_id for j in newest if j.version < known.get(j.event.entity_key, 0)}
        out.applied |= superseded
        newest = [j for j in newest if j.event_id not in superseded]
        key = lambda j: mappers.cache_key(j.event.entity_type, j.event.entity_id)  # noqa: E731
        deletes = [j for j in newest if j.is_delete]
        upserts = [j for j in newest if not j.is_delete]
        for job in deletes:  # rare: one fenced call each, never removing a newer value
            self.cache.delete_many([key(job)], version=job.version)
            out.applied.add(job.event_id)
        if upserts:
            result = self.cache.put_many(
                [mappers.to_cache_entry(j.event, self.ttl_for(j.spec.ttl_type)) for j in upserts]
            )
            stale = set(result.stale)
            out.applied |= {j.event_id for j in upserts if key(j) not in stale}
            recheck = [j for j in upserts if key(j) in stale]
            if recheck:
                stored = self.cache.versions([key(j) for j in recheck])
                # Jobs left unsettled (stale, yet the store holds an older version: a
                # concurrent write or an expiry) are not reported: the worker retries them.
                _settle(recheck, stored, key, out)
        return out


class GraphWriter:
    """Neo4j: nodes merged by id behind a version fence, then the entity's edges."""

    name = NEO4J

    def __init__(self, graph: GraphPort) -> None:
        self.graph = graph

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        """Apply the group; see the module docstring."""
        newest, out = _start(jobs)
        edge_only = [j for j in newest if j.spec.edge_only and not j.is_delete]
        edge_deletes = [j for j in newest if j.spec.edge_only and j.is_delete]
        if edge_deletes:  # a relationship entity: its delete removes the edge it names
            self.graph.delete_edges(
                [e for j in edge_deletes for e in mappers.to_edges(j.event, j.spec)]
            )
            out.applied |= {j.event_id for j in edge_deletes}
        deletes = [j for j in newest if j.is_delete and not j.spec.edge_only]
        upserts = [j for j in newest if not j.is_delete and not j.spec.edge_only]
        settled = list(edge_only)
        for label in {j.spec.label for j in deletes if j.spec.label}:
            group = [j for j in deletes if j.spec.label == label]
            stored = self.graph.versions(label, [j.event.entity_id for j in group])
            gone = _settle(group, stored, lambda j: j.event.entity_id, out)
            if gone:  # fenced again in the statement: a newer version written since stays
                self.graph.delete_nodes(
                    label,
                    [j.event.entity_id for j in gone],
                    versions={j.event.entity_id: j.version for j in gone},
                )
            out.applied |= {j.event_id for j in gone}
        if upserts:
            result = self.graph.upsert_nodes([mappers.to_node(j.event, j.spec) for j in upserts])
            stale = set(result.stale)
            settled += [j for j in upserts if j.event.entity_id not in stale]
            for label in {
                j.spec.label for j in upserts if j.spec.label and j.event.entity_id in stale
            }:
                group = [j for j in upserts if j.spec.label == label and j.event.entity_id in stale]
                stored = self.graph.versions(label, [j.event.entity_id for j in group])
                rest = _settle(group, stored, lambda j: j.event.entity_id, out)
                # Edges are re-merged for a node that is already at this very version
                # (the worker may have died between the node and its edges), never for
                # one a newer version superseded: its edges are not the entity's any more.
                settled += [
                    j
                    for j in group
                    if j.event_id not in out.conflicts
                    and (held := stored.get(j.event.entity_id))
                    and (held.version, held.hash) == (j.version, j.event.hash)
                ] + rest
        edges = [e for j in settled for e in mappers.to_edges(j.event, j.spec)]
        if edges:
            self.graph.upsert_edges(edges)
        # (a first version has no earlier edges: nothing to prune, no query spent)
        nodes = [j for j in settled if not j.spec.edge_only and j.spec.label and j.version > 1]
        for label in {j.spec.label for j in nodes if j.spec.label}:
            # a new version's relations replace the old ones' (a changed ASSIGNED_TO moves)
            self.graph.prune_edges(
                label, {j.event.entity_id: j.version for j in nodes if j.spec.label == label}
            )
        out.applied |= {j.event_id for j in settled}
        return out


class WarehouseWriter:
    """BigQuery: append rows newer than the latest view holds (the emulator keeps duplicates)."""

    name = BIGQUERY

    def __init__(self, warehouse: WarehousePort) -> None:
        self.warehouse = warehouse

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        """Apply the group; see the module docstring."""
        newest, out = _start(jobs)
        rows = []
        for table in {j.spec.table for j in newest}:
            assert table is not None
            group = [j for j in newest if j.spec.table == table]
            key = lambda j, t=table: mappers.warehouse_id(  # noqa: E731
                j.event.entity_type, j.event.entity_id, t
            )
            # Only jobs the table may already hold pay for the read that keeps retries,
            # bisected halves and redeliveries from appending duplicate rows.
            check = [j for j in group if j.may_be_held_by(BIGQUERY)]
            stored = self.warehouse.versions(table, [key(j) for j in check]) if check else {}
            checked = {id(j) for j in check}
            todo = _settle(check, stored, key, out) + [j for j in group if id(j) not in checked]
            rows += [mappers.to_row(j.event, j.spec) for j in todo]
            out.applied |= {j.event_id for j in todo}
        if rows:
            self.warehouse.insert_rows(rows)
        return out


class VectorWriter:
    """Chroma: embed what has no embedding (one batch call), upsert behind a version check.

    Chroma has no conditional write, so the version check and the write run under a
    lease per entity (`LeasePort`): two workers holding two versions of one entity
    cannot interleave their read and write. An entity whose lease another worker
    holds is left unreported this round, and the batch retries it shortly.
    """

    name = VECTOR

    def __init__(
        self, vector: VectorPort, embed: Embed, leases: LeasePort, lease_ms: int = 60_000
    ) -> None:
        self.vector = vector
        self.embed = embed
        self.leases = leases
        self.lease_ms = lease_ms
        self.embeddings: dict[str, list[float]] = {}  # for the SIMILAR_TO stage

    def embeddings_for(self, jobs: Sequence[Job]) -> dict[str, list[float]]:
        """Each job's embedding: the precomputed one, else the embedder's (batched)."""
        found: dict[str, list[float]] = {}
        missing = []
        for job in jobs:
            given = job.event.data.get("embedding")
            if isinstance(given, list) and given:
                found[job.event_id] = [float(x) for x in given]
            else:
                missing.append(job)
        if missing:
            vectors = _embed_or_unavailable(
                self.embed, [mappers.document_text(j.event) for j in missing]
            )
            found.update({j.event_id: list(v) for j, v in zip(missing, vectors, strict=True)})
        return found

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        """Apply the group; see the module docstring."""
        newest, out = _start(jobs)
        self.embeddings = {}
        token = uuid.uuid4().hex
        lease = {j.event_id: f"vector:{j.event.entity_key}" for j in newest}
        held = self.leases.acquire(list(lease.values()), token, self.lease_ms)
        try:
            self._write([j for j in newest if lease[j.event_id] in held], out)
        finally:
            self.leases.release(sorted(held), token)
        return out

    def _write(self, newest: list[Job], out: StoreOutcome) -> None:
        key = lambda j: j.event.entity_id  # noqa: E731
        for coll in {j.event.entity_type for j in newest if j.is_delete}:
            group = [j for j in newest if j.is_delete and j.event.entity_type == coll]
            gone = _settle(group, self.vector.versions(coll, [key(j) for j in group]), key, out)
            if gone:
                self.vector.delete(coll, [key(j) for j in gone])
            out.applied |= {j.event_id for j in gone}
        upserts = [j for j in newest if not j.is_delete]
        if not upserts:
            return
        vectors = self.embeddings_for(upserts)
        self.embeddings = vectors
        result = self.vector.upsert(
            [mappers.to_vector(j.event, vectors[j.event_id]) for j in upserts]
        )
        stale = set(result.stale)
        out.applied |= {j.event_id for j in upserts if key(j) not in stale}
        for coll in {j.event.entity_type for j in upserts if key(j) in stale}:
            group = [j for j in upserts if key(j) in stale and j.event.entity_type == coll]
            _settle(group, self.vector.versions(coll, [key(j) for j in group]), key, out)


# An embedding provider that is down or rate-limiting is an outage of the vector
# stage, not a fault of the records (names, so the openai client is not imported).
_TRANSIENT_EMBEDDING_ERRORS = frozenset(
    {
        "APIConnectionError",
        "APITimeoutError",
        "RateLimitError",
        "InternalServerError",
        "ServiceUnavailableError",
        "ConnectError",
        "ConnectTimeout",
        "ReadTimeout",
    }
)


def _embed_or_unavailable(embed: Embed, texts: list[str]) -> list[list[float]]:
    try:
        return embed(texts)
    except Exception as exc:
        if type(exc).__name__ in _TRANSIENT_EMBEDDING_ERRORS:
            raise StoreUnavailable(
                "embeddings",
                "embedding provider",
                str(exc),
                hint="the provider is down or rate-limiting; events wait and are retried",
            ) from exc
        raise


class SimilarWriter:
    """SIMILAR_TO {similarity_score} edges from a knowledge item to its nearest neighbours.

    The neighbours are the vector store's nearest items and, computed here exactly, the
    other items of the same batch: the applier may run this stage beside the vector
    write (when the events carry their embeddings), so the store may not hold the
    batch's own items yet. Only the newest version of an item in the batch gets edges.
    """

    name = SIMILAR

    def __init__(self, vector: VectorPort, graph: GraphPort, vectors: VectorWriter, k: int) -> None:
        self.vector = vector
        self.graph = graph
        self.vectors = vectors
        self.k = k
        self.pool = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="sync-similar")

    def close(self) -> None:
        """Stop the search threads."""
        self.pool.shutdown(wait=True)

    def write(self, jobs: Sequence[Job]) -> StoreOutcome:
        """Search the items' neighbours (batched) and merge their edges, slice by slice."""
        live, out = _start([j for j in jobs if not j.is_delete])
        out.applied |= {j.event_id for j in jobs if j.is_delete}
        have = self.vectors.embeddings
        missing = [j for j in live if j.event_id not in have]
        vectors = {
            **{j.event_id: have[j.event_id] for j in live if j.event_id in have},
            **(self.vectors.embeddings_for(missing) if missing else {}),
        }
        local = _nearest_in_batch(live, vectors, self.k)
        # One batched query per slice, a few slices in flight: round trips are few, and
        # each slice's edges are merged while the next slices are still being searched.
        slices = [live[i : i + SEARCH_SLICE] for i in range(0, len(live), SEARCH_SLICE)]
        for edges in self.pool.map(lambda part: self._edges(part, vectors, local), slices):
            if edges:
                self.graph.upsert_edges(edges)
        out.applied |= {j.event_id for j in live}
        return out

    def _edges(
        self,
        jobs: Sequence[Job],
        vectors: dict[str, list[float]],
        local: dict[str, dict[str, float]],
    ) -> list[Any]:
        """SIMILAR_TO edges of ``jobs``: one batched search per entity type among them,
        merged with their exact neighbours in the batch (``local``)."""
        edges: list[Any] = []
        for coll in {j.event.entity_type for j in jobs}:
            group = [j for j in jobs if j.event.entity_type == coll]
            found = self.vector.search_many(
                coll, [vectors[j.event_id] for j in group], k=self.k + 1, content=False
            )
            for job, hits in zip(group, found, strict=True):
                near = {h.id: h.similarity for h in hits if h.id != job.event.entity_id}
                # exact, and the batch's items the store may not hold yet
                near.update(local[job.event_id])
                best = sorted(near.items(), key=lambda kv: kv[1], reverse=True)[: self.k]
                edges += [mappers.similar_edge(job.event, i, sim) for i, sim in best]
        return edges


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()  # scans the loaded libraries once (numpy is loaded)


def _one_blas_thread() -> Any:
    """Run a matrix product on this thread only: numpy's OpenBLAS otherwise wakes its
    threads, which then spin (measured: 57 ms of CPU for a 4 ms product on 2 cores)."""
    return _blas().limit(limits=1, user_api="blas")


def _nearest_in_batch(
    jobs: Sequence[Job], vectors: dict[str, list[float]], k: int
) -> dict[str, dict[str, float]]:
    """For each job (by event id): its ``k`` most cosine-similar jobs of the same entity
    type in ``jobs`` (entity id → similarity), itself excluded."""
    out: dict[str, dict[str, float]] = {j.event_id: {} for j in jobs}
    for coll in {j.event.entity_type for j in jobs}:
        group = [j for j in jobs if j.event.entity_type == coll]
        if len(group) < 2 or k <= 0:
            continue
        m = np.asarray([vectors[j.event_id] for j in group], dtype=np.float32)
        unit = m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        with _one_blas_thread():
            sims = unit @ unit.T
        # the k + 1 best of each row (one is the item itself), unsorted: merged later
        top = min(k + 1, len(group))
        best = np.argpartition(-sims, top - 1, axis=1)[:, :top]
        ids = [j.event.entity_id for j in group]
        for r, (row, job) in enumerate(zip(best, group, strict=True)):
            out[job.event_id] = {
                ids[c]: float(sims[r, c]) for c in row if ids[c] != job.event.entity_id
            }
    return out

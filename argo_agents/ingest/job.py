"""`IngestJob`: stream documents through the sync engine into the four stores, resumably.

One pass over the paths, batch by batch (`IngestOptions.batch_size`):

1. Look up each document's fingerprint in the job index (a Redis hash
   ``doc id → fingerprint, chunk count, URI`` in the sync namespace).
2. Prepare the batch in a pool (`prepare`): unchanged documents are only read
   and hashed; new and changed ones are parsed, chunked and embedded.
3. Publish, per document, its chunks, the deletes of chunks it no longer has,
   then the document itself, through `SyncEngine.publish` (the outbox is
   durable from here on); then record the new fingerprints in the index.
4. Sync workers of this process apply the events; a batch counts as completed
   when every one of its events has a receipt. At most
   `IngestOptions.concurrency` batches are prepared or in flight at once.

Why this resumes exactly after a SIGKILL anywhere: the index changes only
after its events are in the outbox, so a document is either (a) not yet
published: it is prepared and published again; (b) published but not yet in
the index: published again with identical content, which every store takes
as a newer version of the same record (counts do not change); or (c) in the
index: skipped, its events still applied from the outbox by any worker (a
dead worker's entries are claimed after ``ARGO_SYNC_CLAIM_IDLE_MS``). A run
that follows an unfinished one waits for the outbox to empty before it ends.

Progress (total, completed, progress, counts) is a Redis hash per job, read by
`argo ingest status`.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from argo_agents.ingest.metadata import chunk_id_for, doc_id_for, file_uri
from argo_agents.ingest.models import (
    MAX_SKIPPED_LISTED,
    IngestError,
    IngestOptions,
    IngestProgress,
    IngestReport,
    SkippedFile,
)
from argo_agents.ingest.prepare import (
    BatchResult,
    PrepareConfig,
    Preparer,
    init_process,
    run_in_process,
)
from argo_agents.ingest.sources import FileItem, Item, RecordItem, Skip, scope_of, walk
from argo_agents.sync.engine import Backpressure, SyncEngine
from argo_agents.sync.events import Operation, Priority, SyncEvent

log = logging.getLogger(__name__)

SOURCE = "ingest"
PROGRESS_TTL_S = 7 * 24 * 3600
SAVE_EVERY_S = 0.5  # progress is written at most this often (and at every state change)
POLL_S = 0.05
ProgressCallback = Callable[[IngestProgress], None]


def index_key(engine: SyncEngine) -> str:
    """The job index: doc id → ``{"f": fingerprint, "n": chunks, "u": uri}``."""
    return f"{engine.ctx.keys.prefix}:ingest:index"


def job_key(engine: SyncEngine, job_id: str) -> str:
    """One job's progress hash."""
    return f"{engine.ctx.keys.prefix}:ingest:job:{job_id}"


def jobs_key(engine: SyncEngine) -> str:
    """Hash job id → last update time, for listing jobs."""
    return f"{engine.ctx.keys.prefix}:ingest:jobs"


def derive_job_id(paths: Iterable[str]) -> str:
    """The default job id: the same paths give the same job (so a rerun resumes it)."""
    key = "\n".join(sorted(os.path.abspath(p) for p in paths))
    return "ingest-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def read_progress(engine: SyncEngine, job_id: str) -> IngestProgress | None:
    """A job's progress from Redis (None when there is no such job)."""
    raw = engine.ctx.redis.hget_all(job_key(engine, job_id))
    if not raw:
        return None
    return IngestProgress.model_validate(orjson.loads(raw["state"]))


def list_jobs(engine: SyncEngine) -> list[IngestProgress]:
    """Every job whose progress is still kept, most recently updated first."""
    ids = list(engine.ctx.redis.hget_all(jobs_key(engine)))
    found = [p for p in (read_progress(engine, j) for j in ids) if p is not None]
    return sorted(found, key=lambda p: p.updated_at, reverse=True)


@dataclass
class _Flight:
    """A published batch whose events are not all applied yet."""

    ids: set[str]
    docs: int
    chunks: int
    deleted: int
    # receipts are kept per hour: none of this flight's can be older than its publish hour
    hour: int = field(default_factory=lambda: int(time.time() // 3600))


@dataclass
class _Counts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    dead: int = 0
    events: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    skipped_files: list[SkippedFile] = field(default_factory=list)


class IngestJob:
    """One ingestion run over ``paths`` (see the module docstring)."""

    def __init__(
        self,
        engine: SyncEngine,
        embedder: Any,
        settings: Any,
        options: IngestOptions | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.engine = engine
        self.embedder = embedder
        self.settings = settings
        self.options = options or IngestOptions()
        self.on_progress = on_progress
        self.redis = engine.ctx.redis
        self._inflight: deque[_Flight] = deque()
        self._seen: set[str] = set()
        self._counts = _Counts()
        self._saved_at = 0.0

    # ---- the run ------------------------------------------------------------------------
    def run(self, paths: list[str]) -> IngestReport:
        """Ingest ``paths``; return the report (raises `IngestError` if the stores lag)."""
        if not paths:
            raise IngestError("name at least one file, directory or glob to ingest")
        opts = self.options
        job_id = opts.job_id or derive_job_id(paths)
        before = read_progress(self.engine, job_id)
        resumed = before is not None and before.status != "done"
        now = time.time()
        self.state = IngestProgress(
            job_id=job_id, status="counting", paths=list(paths), started_at=now, updated_at=now
        )
        self._save(force=True)
        self.state.total = sum(1 for _ in walk(paths, opts.max_file_bytes, records=False))
        self.state.status = "running"
        self._save(force=True)
        scope = scope_of(paths)
        config = PrepareConfig(
            opts.chunk_chars, opts.chunk_overlap, opts.max_file_bytes, self._embedder_key(), scope
        )
        stop = threading.Event()
        workers = self._start_workers(stop)
        pool, prepare = self._pool(config)
        try:
            self._stream(paths, pool, prepare)
            if opts.prune:
                self.state.status = "pruning"
                self._save(force=True)
                self._prune(scope)
            self.state.status = "draining"
            self._save(force=True)
            self._wait_all()
            if resumed:
                self._wait_outbox_empty()
            recorded = self._record_run()
            self.state.status = "done"
        except BaseException as exc:
            self.state.status = "failed"
            self.state.error = (
                f"{type(exc).__name__}: {exc}"[:500]
                + " — run the same `argo ingest` again to resume"
            )
            self._save(force=True)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self._stop_workers(stop, workers)
        self._save(force=True)
        return self._report(recorded)

    def _stream(
        self,
        paths: list[str],
        pool: Executor,
        prepare: Callable[[list[Item], dict[str, str]], BatchResult],
    ) -> None:
        opts = self.options
        ahead = max(1, min(opts.concurrency, 2 * getattr(pool, "_max_workers", 1)))
        pending: deque[tuple[Future[BatchResult], dict[str, int]]] = deque()
        for items in _batched(walk(paths, opts.max_file_bytes), opts.batch_size):
            known, olds = self._known(items)
            pending.append((pool.submit(prepare, items, known), olds))
            while len(pending) >= ahead or (pending and pending[0][0].done()):
                future, olds = pending.popleft()
                self._publish(future.result(), olds)
        while pending:
            future, olds = pending.popleft()
            self._publish(future.result(), olds)

    def _known(self, items: list[Item]) -> tuple[dict[str, str], dict[str, int]]:
        """Fingerprints (for the pool) and chunk counts (for deletes) already ingested."""
        ids = []
        for item in items:
            if isinstance(item, FileItem | RecordItem):
                ids.append(doc_id_for(item.uri))
            elif not item.path.rpartition(":")[2].isdigit():  # a file, not a JSONL record
                self._seen.add(doc_id_for(file_uri(item.path)))
        self._seen.update(ids)
        values = self.redis.hget_fields(index_key(self.engine), ids) if ids else []
        known, olds = {}, {}
        for doc_id, value in zip(ids, values, strict=True):
            if value:
                entry = orjson.loads(value)
                known[doc_id] = str(entry["f"])
                olds[doc_id] = int(entry["n"])
        return known, olds

    def _publish(self, result: BatchResult, olds: dict[str, int]) -> None:
        c = self._counts
        for skip in result.skips:
            c.skipped_by_reason[skip.reason] = c.skipped_by_reason.get(skip.reason, 0) + 1
            if len(c.skipped_files) < MAX_SKIPPED_LISTED:
                c.skipped_files.append(
                    SkippedFile(path=skip.path, reason=skip.reason, detail=skip.detail)  # type: ignore[arg-type]
                )
        events: list[SyncEvent] = []
        index: dict[str, bytes] = {}
        chunks = deleted = 0
        for doc in result.docs:
            n_old = olds.get(doc.doc_id)
            for data in doc.chunks:
                events.append(_event("chunk", chunk_id_for(doc.doc_id, data["position"]), data))
            for pos in range(len(doc.chunks), n_old or 0):
                events.append(_event("chunk", chunk_id_for(doc.doc_id, pos), {}, Operation.DELETE))
            op = Operation.CREATE if n_old is None else Operation.UPDATE
            events.append(_event("document", doc.doc_id, doc.doc, op))
            index[doc.doc_id] = orjson.dumps(
                {"f": doc.fingerprint, "n": len(doc.chunks), "u": doc.uri}
            )
            chunks += len(doc.chunks)
            deleted += max(0, (n_old or 0) - len(doc.chunks))
            if n_old is None:
                c.new += 1
            else:
                c.changed += 1
        c.unchanged += len(result.unchanged)
        s = self.state
        s.skipped += len(result.skips)
        s.unchanged += len(result.unchanged)
        s.completed += len(result.skips) + len(result.unchanged)
        if events:
            ids = self._publish_events(events)
            self.redis.hset_many({index_key(self.engine): index})
            self._inflight.append(_Flight(set(ids), len(result.docs), chunks, deleted))
            self._poll()
        self._save()

    def _publish_events(self, events: list[SyncEvent]) -> list[str]:
        """Publish, waiting for our own flights (and the workers) while the outbox is full."""
        while True:
            while len(self._inflight) >= self.options.concurrency:
                self._poll(block=True)
            try:
                ids = self.engine.publish(events)
            except Backpressure:
                if self._inflight:
                    self._poll(block=True)
                else:
                    time.sleep(0.5)
                continue
            self._counts.events += len(ids)
            return ids

    def _poll(self, *, block: bool = False) -> None:
        """Count the flights whose events all have receipts; with ``block``, wait for one."""
        deadline = time.monotonic() + self.options.drain_timeout_s
        while self._inflight:
            flight = self._inflight[0]
            for event_id, outcome in self._receipts(flight.ids, flight.hour).items():
                flight.ids.discard(event_id)
                if outcome.startswith("dead"):
                    self._counts.dead += 1
            if flight.ids:
                if not block:
                    return
                if time.monotonic() > deadline:
                    raise IngestError(
                        f"{len(flight.ids)} events of a batch were not applied within "
                        f"{self.options.drain_timeout_s:.0f}s: see `argo sync status` (a store "
                        f"down? no worker?), then run the same `argo ingest` again to resume"
                    )
                time.sleep(POLL_S)
                continue
            self._inflight.popleft()
            s = self.state
            s.completed += flight.docs
            s.written += flight.docs
            s.chunks += flight.chunks
            s.chunks_deleted += flight.deleted
            self._save()
            if block:
                return

    def _receipts(self, ids: set[str], since_hour: int) -> dict[str, str]:
        """Outcomes of those of ``ids`` that finished, from the hourly receipts since
        ``since_hour`` (this hour's and the last hour's at most: older ones expire).

        A flight published this hour is looked up in this hour's receipts only: asking the
        last hour's too doubled the fields read on every poll, for nothing."""
        keys, found = self.engine.ctx.keys, {}
        hour = int(time.time() // 3600)
        missing = list(ids)
        for h in range(hour, max(since_hour, hour - 1) - 1, -1):
            values = self.redis.hget_fields(keys.receipts(h), missing)
            found.update({e: v for e, v in zip(missing, values, strict=True) if v})
            missing = [e for e in missing if e not in found]
            if not missing:
                break
        return found

    def _wait_all(self) -> None:
        while self._inflight:
            self._poll(block=True)

    def _wait_outbox_empty(self) -> None:
        """After an interrupted run: wait until what it published is applied too."""
        deadline = time.monotonic() + self.options.drain_timeout_s
        while self.engine.ctx.outbox.sizes()[0]:
            if time.monotonic() > deadline:
                raise IngestError(
                    "events of an earlier, interrupted run are still in the outbox: see "
                    "`argo sync status`, then run the same `argo ingest` again"
                )
            time.sleep(0.2)

    def _prune(self, scope: Any) -> None:
        """Delete the indexed documents under the job's paths that this walk did not see."""
        gone: list[tuple[str, dict[str, Any]]] = []
        for doc_id, value in self.redis.hscan(index_key(self.engine)):
            if doc_id in self._seen:
                continue
            entry = orjson.loads(value)
            if scope.covers(str(entry["u"])):
                gone.append((doc_id, entry))
        for start in range(0, len(gone), self.options.batch_size):
            part = gone[start : start + self.options.batch_size]
            events = []
            for doc_id, entry in part:
                events += [
                    _event("chunk", chunk_id_for(doc_id, i), {}, Operation.DELETE)
                    for i in range(int(entry["n"]))
                ]
                events.append(_event("document", doc_id, {}, Operation.DELETE))
            ids = self._publish_events(events)
            self.redis.hdel(index_key(self.engine), [d for d, _ in part])
            n_chunks = sum(int(e["n"]) for _, e in part)
            self._inflight.append(_Flight(set(ids), 0, 0, n_chunks))
            self.state.pruned += len(part)
            self._save()

    def _record_run(self) -> bool:
        """The run's row in the warehouse (``ingest_runs``), when it changed anything."""
        s, c = self.state, self._counts
        if not (c.new or c.changed or s.pruned or s.chunks_deleted):
            return False
        data = {
            "job_id": s.job_id,
            "paths": s.paths,
            "documents": s.completed,
            "new": c.new,
            "changed": c.changed,
            "unchanged": c.unchanged,
            "pruned": s.pruned,
            "skipped": s.skipped,
            "chunks": s.chunks,
            "chunks_deleted": s.chunks_deleted,
            "skipped_by_reason": dict(c.skipped_by_reason),
            "seconds": round(time.time() - s.started_at, 3),
        }
        run_id = f"{s.job_id}-{int(s.started_at * 1000)}"
        ids = self._publish_events([_event("ingest_run", run_id, data, Operation.CREATE)])
        self._inflight.append(_Flight(set(ids), 0, 0, 0))
        self._wait_all()
        return True

    # ---- helpers ------------------------------------------------------------------------
    def _embedder_key(self) -> str:
        name = type(self.embedder).__name__
        model = {
            "OpenAIEmbedder": getattr(self.settings, "embedding_model", ""),
            "SentenceTransformerEmbedder": getattr(self.settings, "embedding_model_path", ""),
        }.get(name, "")
        return f"{name}:{getattr(self.embedder, 'dim', 0)}:{model}"

    def _pool(
        self, config: PrepareConfig
    ) -> tuple[Executor, Callable[[list[Item], dict[str, str]], BatchResult]]:
        """Processes for the offline embedder (its work holds the GIL), threads otherwise."""
        n = self.options.embed_workers or min(4, os.cpu_count() or 1)
        from argo_agents.stores.embeddings import HashingEmbedder

        if n > 1 and isinstance(self.embedder, HashingEmbedder):
            pool = ProcessPoolExecutor(
                n,
                mp_context=multiprocessing.get_context("spawn"),  # no fork of live connections
                initializer=init_process,
                initargs=(config, self.settings),
            )
            return pool, run_in_process
        return ThreadPoolExecutor(max(1, n), thread_name_prefix="ingest-prepare"), Preparer(
            config, self.embedder
        ).run

    def _start_workers(self, stop: threading.Event) -> list[tuple[threading.Thread, Any]]:
        started = []
        for i in range(self.options.sync_workers):
            worker = self.engine.worker(f"ingest-{os.getpid()}-{i}-{os.urandom(3).hex()}")
            thread = threading.Thread(
                target=worker.run, args=(stop,), name=f"ingest-sync-{i}", daemon=True
            )
            thread.start()
            started.append((thread, worker))
        return started

    @staticmethod
    def _stop_workers(stop: threading.Event, workers: list[tuple[threading.Thread, Any]]) -> None:
        stop.set()
        for thread, worker in workers:
            thread.join(timeout=30)
            worker.close()

    def _save(self, *, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._saved_at < SAVE_EVERY_S:
            return
        s = self.state
        s.updated_at = now
        s.progress = round(s.completed / s.total, 4) if s.total else 0.0
        state = s.model_dump_json()
        self.redis.hset_many(
            {
                job_key(self.engine, s.job_id): {
                    "state": state,
                    "completed": s.completed,
                    "total": s.total,
                    "progress": s.progress,
                    "status": s.status,
                },
                jobs_key(self.engine): {s.job_id: now},
            },
            PROGRESS_TTL_S,
        )
        self._saved_at = now
        if self.on_progress is not None:
            self.on_progress(s.model_copy())

    def _report(self, recorded: bool) -> IngestReport:
        s, c = self.state, self._counts
        return IngestReport(
            job_id=s.job_id,
            status=s.status,
            paths=s.paths,
            total=s.total,
            completed=s.completed,
            new=c.new,
            changed=c.changed,
            unchanged=c.unchanged,
            pruned=s.pruned,
            skipped=s.skipped,
            skipped_by_reason=dict(c.skipped_by_reason),
            skipped_files=list(c.skipped_files),
            chunks_written=s.chunks,
            chunks_deleted=s.chunks_deleted,
            events_published=c.events,
            dead_lettered=c.dead,
            run_recorded=recorded,
            seconds=round(s.updated_at - s.started_at, 3),
        )


def _event(
    entity_type: str, entity_id: str, data: dict[str, Any], op: Operation = Operation.UPDATE
) -> SyncEvent:
    # LOW: a bulk load must not delay the orchestrator's own records in the outbox.
    return SyncEvent(
        entity_type=entity_type,
        entity_id=entity_id,
        operation=op,
        data=data,
        source=SOURCE,
        priority=Priority.LOW,
    )


def _batched(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = [
    "IngestJob",
    "Skip",
    "derive_job_id",
    "index_key",
    "job_key",
    "list_jobs",
    "read_progress",
]

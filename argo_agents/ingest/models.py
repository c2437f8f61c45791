"""Typed results of ingestion: the report of a job, its progress, skipped files, search hits."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

SkipReason = Literal[
    "binary",
    "invalid_utf8",
    "empty",
    "too_large",
    "unreadable",
    "symlink_loop",
    "invalid_record",
    "not_found",
    "unsupported",
]
JobStatus = Literal["counting", "running", "pruning", "draining", "done", "failed"]
MAX_SKIPPED_LISTED = 1000  # the report names this many skipped files; counts cover all


class IngestError(RuntimeError):
    """Ingestion cannot go on; the message says what to do next."""


class SkippedFile(BaseModel):
    """A file or record that was not ingested, and why."""

    path: str
    reason: SkipReason
    detail: str = ""


class IngestOptions(BaseModel):
    """How a job reads, chunks and publishes (defaults come from `Settings`)."""

    batch_size: int = Field(500, ge=1, description="Documents per batch.")
    concurrency: int = Field(10, ge=1, description="Batches prepared or in flight at once.")
    embed_workers: int = Field(
        0, ge=0, description="Processes that parse, chunk and embed (0: one per CPU, at most 4)."
    )
    sync_workers: int = Field(2, ge=1, description="Sync worker threads applying the events.")
    chunk_chars: int = Field(1200, ge=200, description="Largest chunk, in characters.")
    chunk_overlap: int = Field(150, ge=0, description="Characters repeated from the chunk before.")
    max_file_bytes: int = Field(20 << 20, ge=1, description="Larger files are skipped.")
    prune: bool = Field(False, description="Delete documents under the paths that are gone.")
    job_id: str | None = Field(None, description="Job name; derived from the paths if unset.")
    drain_timeout_s: float = Field(
        600.0, gt=0, description="How long to wait for the stores once everything is published."
    )

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> IngestOptions:
        """Options from ``ARGO_INGEST_*`` settings; ``overrides`` that are not None win."""
        values: dict[str, Any] = {
            "batch_size": settings.ingest_batch_size,
            "concurrency": settings.ingest_concurrency,
            "embed_workers": settings.ingest_embed_workers,
            "sync_workers": settings.ingest_sync_workers,
            "chunk_chars": settings.ingest_chunk_chars,
            "chunk_overlap": settings.ingest_chunk_overlap,
            "max_file_bytes": int(settings.ingest_max_file_mb * (1 << 20)),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


class IngestProgress(BaseModel):
    """A job's progress as kept in Redis (``argo ingest status``)."""

    job_id: str
    status: JobStatus = "counting"
    total: int = 0
    completed: int = 0
    progress: float = 0.0
    written: int = 0
    unchanged: int = 0
    skipped: int = 0
    pruned: int = 0
    chunks: int = 0
    chunks_deleted: int = 0
    paths: list[str] = Field(default_factory=list)
    started_at: float = 0.0
    updated_at: float = 0.0
    error: str = ""

    @property
    def rate(self) -> float:
        """Documents per second since the job (re)started."""
        elapsed = self.updated_at - self.started_at
        return self.completed / elapsed if elapsed > 0 else 0.0


class IngestReport(BaseModel):
    """What one `argo ingest` run did."""

    job_id: str
    status: JobStatus
    paths: list[str]
    total: int = 0
    completed: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    pruned: int = 0
    skipped: int = 0
    skipped_by_reason: dict[str, int] = Field(default_factory=dict)
    skipped_files: list[SkippedFile] = Field(default_factory=list)
    chunks_written: int = 0
    chunks_deleted: int = 0
    events_published: int = 0
    dead_lettered: int = 0
    run_recorded: bool = False
    seconds: float = 0.0

    @property
    def written(self) -> int:
        """Documents whose records were (re)written."""
        return self.new + self.changed

    @property
    def docs_per_s(self) -> float:
        """Documents completed per second."""
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def chunks_per_s(self) -> float:
        """Chunks written per second."""
        return self.chunks_written / self.seconds if self.seconds else 0.0


class KnowledgeHit(BaseModel):
    """One chunk found by a knowledge search, with where it comes from."""

    chunk_id: str
    doc_id: str
    title: str
    uri: str
    heading: str
    position: int
    score: float
    snippet: str
    text: str = ""

    @property
    def citation(self) -> str:
        """``title › heading`` (the title once, or alone), for an agent to cite."""
        if not self.heading or self.heading.startswith(self.title):
            return self.heading or self.title
        return f"{self.title} › {self.heading}"

"""Knowledge ingestion: files → chunks with embeddings → the four stores, via the sync engine.

`IngestJob` runs a job; `search_knowledge` reads what it wrote. See `job` for
how a job resumes after a crash and `prepare` for what each document becomes.
"""

from argo_agents.ingest.job import IngestJob, list_jobs, read_progress
from argo_agents.ingest.models import (
    IngestError,
    IngestOptions,
    IngestProgress,
    IngestReport,
    KnowledgeHit,
    SkippedFile,
)
from argo_agents.ingest.search import search_knowledge

__all__ = [
    "IngestError",
    "IngestJob",
    "IngestOptions",
    "IngestProgress",
    "IngestReport",
    "KnowledgeHit",
    "SkippedFile",
    "list_jobs",
    "read_progress",
    "search_knowledge",
]

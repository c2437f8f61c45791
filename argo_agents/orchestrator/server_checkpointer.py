"""ARGO's checkpointer for the LangGraph server (`checkpointer` in langgraph.json).

With it, threads a Studio user or a `langgraph-sdk` client starts are kept
where the Python API and the CLI keep theirs (the SQLite file under the data
directory, or Postgres with ``ARGO_CHECKPOINT_URL``), so `argo status THREAD`
and `argo approve THREAD` work on them. The server opens it once per worker
thread and closes it on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from argo_agents.config import Settings
from argo_agents.orchestrator.checkpoints import open_checkpointer


@asynccontextmanager
async def server_checkpointer() -> AsyncIterator[BaseCheckpointSaver]:
    """The environment's checkpointer, as the server's async context manager."""
    async with open_checkpointer(Settings()) as saver:
        yield saver

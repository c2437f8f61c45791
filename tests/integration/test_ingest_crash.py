"""`argo ingest` SIGKILLed mid-job, then run again: exactly the right records in every store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from argo_agents.ingest import IngestOptions, read_progress
from argo_agents.ingest.chunking import chunk_blocks
from argo_agents.ingest.job import derive_job_id, index_key
from argo_agents.ingest.parsers import parse
from tests.integration.ingest_support import doc_ids, run_job, store_counts, write_corpus
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    make_engine_fixture,
    sync_stores_fixture,
)

pytestmark = pytest.mark.integration
DOCS = 1200  # three batches of the default 500


def start_ingest(stack_settings, namespace: str, root, cwd) -> subprocess.Popen:
    """`argo ingest ROOT` in a child process with default settings, on the session stack."""
    env = {
        **os.environ,
        "ARGO_DATA_DIR": str(stack_settings.data_dir),
        "ARGO_SYNC_NAMESPACE": namespace,
        "ARGO_EMBEDDING_PROVIDER": "hashing",
    }
    code = f"from argo_agents.cli.app import app; app(['ingest', '--json', {str(root)!r}])"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def expected_chunks(paths) -> int:
    opts = IngestOptions()
    return sum(
        len(
            chunk_blocks(
                parse(p.read_text(), "markdown").blocks, opts.chunk_chars, opts.chunk_overlap
            )
        )
        for p in paths
    )


@pytest.mark.parametrize("kill_when", ["first_publish", "first_batch_applied"])
def test_sigkill_mid_ingest_then_resume_gives_exact_counts(
    make_engine, sync_stores, stack_settings, tmp_path, kill_when
):
    engine = make_engine()
    root = tmp_path / "corpus"
    paths = write_corpus(root, DOCS, paragraphs=2)
    job_id = derive_job_id([str(root)])
    child = start_ingest(stack_settings, engine.config.namespace, root, tmp_path)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert child.poll() is None, child.stderr.read().decode()[-3000:]
            progress = read_progress(engine, job_id)
            published = engine.ctx.redis.hlen(index_key(engine))
            if kill_when == "first_publish" and published:
                break
            if kill_when == "first_batch_applied" and progress and 0 < progress.completed < DOCS:
                break
            time.sleep(0.02)
        else:
            pytest.fail(f"the child did not reach {kill_when} within 240 s")
        pool = psutil.Process(child.pid).children(recursive=True)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        # the job's preparing processes go with it, not left behind as orphans
        _, alive = psutil.wait_procs(pool, timeout=10)
        assert alive == [], f"left running after the job was killed: {alive}"
    finally:
        if child.poll() is None:
            child.kill()
    killed_at = read_progress(engine, job_id)
    assert killed_at is not None and killed_at.status != "done"
    assert killed_at.completed < DOCS

    report = run_job(engine, stack_settings, [str(root)])
    assert report.status == "done"
    assert (report.total, report.completed, report.skipped) == (DOCS, DOCS, 0)
    assert report.new + report.unchanged == DOCS
    n_chunks = expected_chunks(paths)
    ids = doc_ids(paths)
    assert store_counts(sync_stores, root, ids) == {
        "graph_documents": DOCS,
        "graph_chunks": n_chunks,
        "has_chunk": n_chunks,
        "vector_chunks": n_chunks,
        "warehouse_documents": DOCS,
        "warehouse_duplicate_rows": 0,
        "redis_documents": DOCS,
    }
    assert engine.ctx.outbox.sizes() == (0, 0)
    done = read_progress(engine, job_id)
    assert done is not None and done.status == "done"
    assert (done.completed, done.total, done.progress) == (DOCS, DOCS, 1.0)

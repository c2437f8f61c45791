"""`argo ingest`, `argo ingest status` and `argo knowledge search`, and the `Argo` twins."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from argo_agents.api import Argo
from argo_agents.cli.app import app
from tests.integration.ingest_support import doc_ids, write_corpus

pytestmark = pytest.mark.integration


def test_cli_ingest_status_and_search(stack_settings, tmp_path):
    root = tmp_path / "corpus"
    paths = write_corpus(root, 5)
    # Words no other test writes: the session's stores hold every test's chunks.
    unique = root / "unique.md"
    unique.write_text(
        "# Quillfeather rotation\n\n## Schedule\n\nQuillfeather keys rotate weekly.\n"
    )
    paths.append(unique)
    env = {
        "ARGO_DATA_DIR": str(stack_settings.data_dir),
        "ARGO_SYNC_NAMESPACE": f"test:{uuid.uuid4().hex[:10]}",
        "ARGO_EMBEDDING_PROVIDER": "hashing",
        "ARGO_INGEST_EMBED_WORKERS": "1",  # no process pool for six documents
    }
    runner = CliRunner()
    done = runner.invoke(app, ["ingest", "--json", str(root)], env=env)
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert (report["completed"], report["new"], report["status"]) == (6, 6, "done")

    status = runner.invoke(app, ["ingest", "status", report["job_id"], "--json"], env=env)
    assert status.exit_code == 0, status.output
    [progress] = json.loads(status.output)
    assert (progress["completed"], progress["total"], progress["progress"]) == (6, 6, 1.0)
    assert progress["chunks"] == report["chunks_written"]

    query = "how often do quillfeather keys rotate?"
    found = runner.invoke(app, ["knowledge", "search", query, "-k", "3", "--json"], env=env)
    assert found.exit_code == 0, found.output
    hits = json.loads(found.output)
    assert hits[0]["doc_id"] == doc_ids([unique])[0]
    assert (hits[0]["title"], hits[0]["heading"]) == (
        "Quillfeather rotation",
        "Quillfeather rotation › Schedule",
    )
    assert hits[0]["snippet"] == "Quillfeather keys rotate weekly."


def test_argo_api_ingest_status_and_search(stack_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("ARGO_SYNC_NAMESPACE", f"test:{uuid.uuid4().hex[:10]}")
    root = tmp_path / "docs"
    root.mkdir()
    (root / "vacuum.md").write_text(
        "# Postgres maintenance\n\n## Vacuum\n\nMorrowgate autovacuum reclaims dead tuples "
        "and prevents transaction id wraparound.\n\n## Backups\n\nUse pg_basebackup nightly.\n"
    )
    (root / "kafka.md").write_text("# Kafka\n\nConsumer lag grows when partitions are hot.\n")
    argo = Argo(stack_settings.model_copy(update={"embedding_provider": "hashing"}))
    try:
        report = argo.ingest(str(root), embed_workers=1)
        assert (report.new, report.completed) == (2, 2)
        [progress] = argo.ingest_status(report.job_id)
        assert progress.completed == 2 and progress.status == "done"
        hits = argo.search_knowledge("how does morrowgate autovacuum prevent wraparound?", k=2)
        assert hits[0].title == "Postgres maintenance" and hits[0].heading.endswith("Vacuum")
        assert hits[0].citation == "Postgres maintenance › Vacuum"
    finally:
        argo.close()

"""`argo ingest` on the real stores: all four written, unchanged skipped, changes and prunes."""

from __future__ import annotations

import pytest

from argo_agents.ingest import read_progress, search_knowledge
from argo_agents.ingest.metadata import file_uri
from argo_agents.stores.embeddings import HashingEmbedder
from argo_agents.sync.matrix import SIMILAR_TYPES
from tests.integration.ingest_support import doc_ids, run_job, store_counts, write_corpus
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    make_engine_fixture,
    sync_stores_fixture,
)

pytestmark = pytest.mark.integration


def expected(n_docs: int, n_chunks: int) -> dict[str, int]:
    return {
        "graph_documents": n_docs,
        "graph_chunks": n_chunks,
        "has_chunk": n_chunks,
        "vector_chunks": n_chunks,
        "warehouse_documents": n_docs,
        "warehouse_duplicate_rows": 0,
        "redis_documents": n_docs,
    }


def test_ingest_writes_every_store_then_unchanged_writes_nothing(
    make_engine, sync_stores, stack_settings, tmp_path
):
    engine = make_engine()
    paths = write_corpus(tmp_path / "corpus", 12)
    ids = doc_ids(paths)
    report = run_job(engine, stack_settings, [str(tmp_path / "corpus")], batch_size=5)
    assert report.status == "done"
    assert (report.total, report.completed, report.new, report.skipped) == (12, 12, 12, 0)
    assert report.chunks_written >= 12
    assert store_counts(sync_stores, tmp_path / "corpus", ids) == expected(
        12, report.chunks_written
    )
    # LINKS_TO between documents that link, SIMILAR_TO between chunks
    links = sync_stores.graph.query(
        "MATCH (a:Document)-[:LINKS_TO]->(b:Document) WHERE a.id IN $ids RETURN count(b) AS n",
        {"ids": ids},
    )[0]["n"]
    assert links == 12
    assert "chunk" in SIMILAR_TYPES
    similar = sync_stores.graph.query(
        "MATCH (a:Chunk)-[r:SIMILAR_TO]->(b:Chunk) WHERE a.doc_id IN $ids RETURN count(r) AS n",
        {"ids": ids},
    )[0]["n"]
    assert similar > 0
    # the run's own record
    runs = sync_stores.warehouse.query(
        "SELECT job_id, documents, chunks FROM {dataset}.ingest_runs_latest WHERE job_id = @j",
        {"j": report.job_id},
    )
    assert [(r["documents"], r["chunks"]) for r in runs] == [(12, report.chunks_written)]
    # progress in Redis is the report's
    progress = read_progress(engine, report.job_id)
    assert progress is not None and progress.status == "done"
    assert (progress.total, progress.completed, progress.progress) == (12, 12, 1.0)
    assert (progress.chunks, progress.written, progress.skipped) == (report.chunks_written, 12, 0)

    counters = dict(engine.ctx.redis.hget_all(engine.ctx.keys.versions))
    again = run_job(engine, stack_settings, [str(tmp_path / "corpus")], batch_size=5)
    assert (again.unchanged, again.new, again.changed, again.events_published) == (12, 0, 0, 0)
    assert not again.run_recorded
    assert dict(engine.ctx.redis.hget_all(engine.ctx.keys.versions)) == counters  # no writes


def test_changed_document_replaces_its_chunks_everywhere_and_prune_removes_gone_ones(
    make_engine, sync_stores, stack_settings, tmp_path
):
    engine = make_engine()
    root = tmp_path / "corpus"
    paths = write_corpus(root, 4, paragraphs=6)
    ids = doc_ids(paths)
    first = run_job(engine, stack_settings, [str(root)])
    old_chunks = sync_stores.vectors.ids_where("chunk", {"doc_id": ids[0]})
    assert len(old_chunks) >= 3

    paths[0].write_text("# Rewritten\n\nOnly one short paragraph about gardening now.\n")
    second = run_job(engine, stack_settings, [str(root)])
    assert (second.changed, second.unchanged, second.new) == (1, 3, 0)
    assert second.chunks_deleted == len(old_chunks) - 1
    assert sync_stores.vectors.ids_where("chunk", {"doc_id": ids[0]}) == [f"{ids[0]}-0"]
    left = first.chunks_written - len(old_chunks) + 1
    assert store_counts(sync_stores, root, ids) == expected(4, left)
    node = sync_stores.graph.get_nodes("Document", [ids[0]])[ids[0]]
    assert node["title"] == "Rewritten"
    # among this corpus (the session's chunk collection holds every test's documents)
    mine = {"doc_id": {"$in": ids}}
    hits = search_knowledge(sync_stores, HashingEmbedder(384), "gardening", k=1, where=mine)
    assert hits[0].doc_id == ids[0] and hits[0].title == "Rewritten"

    paths[1].unlink()
    gone_chunks = len(sync_stores.vectors.ids_where("chunk", {"doc_id": ids[1]}))
    third = run_job(engine, stack_settings, [str(root)], prune=True)
    assert (third.pruned, third.unchanged) == (1, 3)
    assert store_counts(sync_stores, root, ids) == expected(3, left - gone_chunks)
    assert sync_stores.graph.versions("Document", [ids[1]]) == {}
    assert sync_stores.cache.get_many([f"document:{ids[1]}"]) == {}


def test_bad_files_are_skipped_with_their_reason_and_the_job_goes_on(
    make_engine, sync_stores, stack_settings, tmp_path
):
    engine = make_engine()
    root = tmp_path / "mixed"
    good = write_corpus(root, 2)
    (root / "binary.md").write_bytes(b"# title\n\x00\x01\x02 binary")
    (root / "latin1.txt").write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    (root / "empty.md").write_text("   \n\n")
    (root / "only-headings.md").write_text("# A\n\n## B\n")
    (root / "big.txt").write_text("x" * 5000)
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling.md").symlink_to(root / "missing.md")
    (root / "records.jsonl").write_text(
        '{"id": "r1", "title": "Record one", "text": "A record about tracing spans."}\n'
        "not json\n"
        '{"id": "r2", "body": 42}\n'
        '{"id": "r3", "text": "   "}\n'
    )
    report = run_job(
        engine, stack_settings, [str(root), str(tmp_path / "nope")], max_file_bytes=4000
    )
    assert report.status == "done"
    reasons = sorted((f.path.replace(str(root), ""), f.reason) for f in report.skipped_files)
    assert reasons == sorted(
        [
            ("/binary.md", "binary"),
            ("/latin1.txt", "invalid_utf8"),
            ("/empty.md", "empty"),
            ("/only-headings.md", "empty"),
            ("/big.txt", "too_large"),
            ("/loop", "symlink_loop"),
            ("/dangling.md", "unreadable"),
            ("/records.jsonl:2", "invalid_record"),
            ("/records.jsonl:3", "invalid_record"),
            ("/records.jsonl:4", "empty"),
            (str(tmp_path / "nope"), "not_found"),
        ]
    )
    assert report.new == 3 and report.skipped == 11 and report.completed == report.total == 14
    counts = store_counts(sync_stores, root, doc_ids(good))
    assert counts["graph_documents"] == 3  # two Markdown files and the one good record
    prefix = file_uri(str(root)).rstrip("/") + "/"
    found = sync_stores.graph.query(
        "MATCH (d:Document) WHERE d.uri STARTS WITH $p RETURN d.id AS id", {"p": prefix}
    )
    mine = {"doc_id": {"$in": [r["id"] for r in found]}}  # this job's documents only
    hits = search_knowledge(sync_stores, HashingEmbedder(384), "tracing spans", k=1, where=mine)
    assert hits[0].title == "Record one"


def test_twin_documents_of_one_batch_link_their_chunks_as_similar(
    make_engine, sync_stores, stack_settings, tmp_path
):
    # Chunks are linked while the vector store is still writing them, so a chunk's twin
    # in the same batch is found by comparing the batch's own embeddings, not the index.
    engine = make_engine()
    root = tmp_path / "twins"
    root.mkdir()
    text = "# Brindlewick relay\n\nThe brindlewick relay drains its queue every night.\n"
    (root / "one.md").write_text(text)
    (root / "two.md").write_text(text)
    report = run_job(engine, stack_settings, [str(root)])
    assert report.completed == 2
    one, two = doc_ids([root / "one.md", root / "two.md"])
    rows = sync_stores.graph.query(
        "MATCH (a:Chunk)-[r:SIMILAR_TO]->(b:Chunk) WHERE a.doc_id IN $ids AND b.doc_id IN $ids "
        "RETURN a.doc_id AS src, b.doc_id AS dst, r.similarity_score AS score",
        {"ids": [one, two]},
    )
    assert {(r["src"], r["dst"]) for r in rows} == {(one, two), (two, one)}
    assert all(r["score"] > 0.999 for r in rows)

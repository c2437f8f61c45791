"""Knowledge search finds the one chunk that names a question's rare words, even when
thousands of near-duplicate chunks crowd it in the approximate neighbour index."""

from __future__ import annotations

import pytest

from argo_agents.ingest import search_knowledge
from argo_agents.stores.embeddings import HashingEmbedder
from tests.integration.ingest_support import doc_ids, run_job, write_corpus
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    make_engine_fixture,
    sync_stores_fixture,
)

pytestmark = pytest.mark.integration


def test_search_finds_the_rare_word_chunk_among_near_duplicates(
    make_engine, sync_stores, stack_settings, tmp_path
):
    engine = make_engine()
    root = tmp_path / "corpus"
    # 2,400 documents in six near-identical templates, one of them on the same subject as
    # the question (Postgres vacuum): about 7,000 chunks that all look alike to the index.
    paths = write_corpus(root, 2400, paragraphs=2)
    target = root / "maintenance.md"
    # "Velmorran": a word no other test writes (the session's stores hold every test's chunks)
    target.write_text(
        "# Postgres maintenance\n\n## Vacuum\n\nVelmorran autovacuum reclaims dead tuples "
        "and prevents transaction id wraparound.\n\n## Backups\n\nUse pg_basebackup nightly.\n"
    )
    report = run_job(engine, stack_settings, [str(root)])
    assert report.completed == len(paths) + 1

    question = "how does velmorran autovacuum prevent wraparound?"
    hits = search_knowledge(sync_stores, HashingEmbedder(384), question, k=3)

    assert hits[0].doc_id == doc_ids([target])[0]
    assert hits[0].citation == "Postgres maintenance › Vacuum"
    assert hits[0].snippet.startswith("Velmorran autovacuum reclaims dead tuples")
    # the score is still the embedding's similarity, best first
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

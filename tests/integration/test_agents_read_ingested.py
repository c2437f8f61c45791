"""The Research agent reads the user's ingested documents and cites document and heading."""

from __future__ import annotations

import pytest

from tests.integration.ingest_support import doc_ids, write_corpus
from tests.orchestration_support import make_argo, make_services

pytestmark = pytest.mark.integration


def test_research_cites_the_ingested_document_and_heading(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path / "data")
    try:
        argo = make_argo(services)
        paths = write_corpus(tmp_path / "docs", 12)
        report = argo.ingest([str(tmp_path / "docs")], embed_workers=1)
        assert report.new == 12 and report.dead_lettered == 0

        run = argo.submit_goal("Optimise the Kafka consumer lag of the billing pipeline")
        if run.status == "awaiting_approval":
            run = argo.resume(run.thread_id, {p.step_id: "approve" for p in run.pending_approvals})
        research = [r for r in run.results.values() if getattr(r, "agent_kind", "") == "research"]
        assert research, "the optimise plan gives the Research agent a step"
        cited = [c for r in research for c in r.evidence if c.query == "knowledge_search"]
        ingested = [c for c in cited if "›" in c.title]
        assert ingested, f"no ingested chunk cited: {[c.title for c in cited]}"
        assert any("Kafka consumer lag" in c.title and "Part" in c.title for c in ingested)
        chunk_ids = [c.record_id for c in ingested]
        found = services.stores.graph.get_nodes("Chunk", chunk_ids)
        assert set(found) == set(chunk_ids)  # each citation leads to a stored chunk
        assert {n["doc_id"] for n in found.values()} <= set(doc_ids(paths))  # from this corpus
    finally:
        services.close()

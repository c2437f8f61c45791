"""The Research agent reads the user's ingested documents and cites document and heading."""

from __future__ import annotations

import re

import pytest

from tests.integration.ingest_support import write_corpus
from tests.orchestration_support import make_argo, make_services

pytestmark = pytest.mark.integration


QUOTE = re.compile(r'"([^"]+)" \[chroma (doc-\S+) via knowledge_search')


def test_research_cites_and_quotes_the_ingested_document_and_heading(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path / "data")
    try:
        argo = make_argo(services)
        write_corpus(tmp_path / "docs", 12)
        report = argo.ingest([str(tmp_path / "docs")], embed_workers=1)
        assert report.new == 12 and report.dead_lettered == 0

        run = argo.submit_goal("Optimise the Kafka consumer lag of the billing pipeline")
        if run.status == "awaiting_approval":
            run = argo.resume(run.thread_id, {p.step_id: "approve" for p in run.pending_approvals})
        research = [r for r in run.results.values() if getattr(r, "agent_kind", "") == "research"]
        assert research, "the optimise plan gives the Research agent a step"
        cited = [c for r in research for c in r.evidence if c.query == "knowledge_search"]
        chunks = [c for c in cited if c.record_id.startswith("doc-")]  # ingested chunk ids
        assert chunks, f"no ingested chunk cited: {[c.title for c in cited]}"
        assert any("Kafka consumer lag" in c.title for c in chunks)
        nodes = services.stores.graph.get_nodes("Chunk", [c.record_id for c in chunks])
        assert set(nodes) == {c.record_id for c in chunks}  # each citation leads to a chunk
        for c in chunks:  # and names its document and heading as stored
            node = nodes[c.record_id]
            assert node["heading"] in c.title and (
                node["title"] in c.title or node["heading"].startswith(node["title"])
            )
        # the findings quote the chunks they cite, word for word
        quotes = [q for r in research for f in r.findings for q in QUOTE.findall(f)]
        assert quotes, [f for r in research for f in r.findings]
        texts = services.stores.graph.get_nodes("Chunk", sorted({cid for _, cid in quotes}))
        for passage, cid in quotes:
            assert passage.rstrip("…") in " ".join(texts[cid]["text"].split()), (passage, cid)
    finally:
        services.close()

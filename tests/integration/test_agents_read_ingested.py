"""The Research agent reads the user's ingested documents and cites document and heading."""

from __future__ import annotations

import re
import uuid

import pytest

from argo_agents.agents import AgentDeps
from argo_agents.agents.tools import RunScope, store_reads
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


def test_argo_s_own_earlier_items_do_not_crowd_the_user_s_documents_out(endpoints, tmp_path):
    services = make_services(endpoints, tmp_path / "data")
    tag = "zq" + uuid.uuid4().hex[:8]  # a subject of its own in the shared stores
    goal = f"Research the {tag} quota rebalancing"
    try:
        argo = make_argo(services)
        for _ in range(2):  # each run leaves a knowledge item per step, in the goal's words
            assert argo.submit_goal(goal).status == "completed"
        docs = tmp_path / "docs"
        docs.mkdir()
        for i, region in enumerate(["eu", "us", "apac", "latam", "mea"]):
            (docs / f"quota-{region}.md").write_text(
                f"# Quota handbook ({region})\n\n## Rebalancing\n\nIn {region}, the {tag} "
                f"quota rebalancing moves unused capacity between tenants at {i + 1} am; a "
                "tenant above 90 % is never drained.\n",
                encoding="utf-8",
            )
        assert argo.ingest([str(docs)], embed_workers=1).new == 5

        scope = RunScope(
            run_id="run-x", goal_id="goal-x", intent="research", subject=f"the {tag} quota",
            step_id="s", action="review_literature",
        )  # fmt: skip
        deps = AgentDeps(stores=services.stores, embedder=services.embedder)
        found, _ = store_reads(deps, scope).knowledge_search(goal, 5)
        own = [r.record_id for r in found if r.record_id.startswith("kn-")]
        chunks = [r.record_id for r in found if r.record_id.startswith("doc-")]
        # the handbooks are not crowded out by ARGO's items; the best of those keeps a place
        assert (len(chunks), len(own)) == (4, 1), found
    finally:
        services.close()

"""The compiled agent subgraph with a fake model on the real stores: the model writes it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage

from argo_agents.agents import AgentDeps, build_agent_graph
from argo_agents.agents.llm import StepDraft
from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.embeddings import HashingEmbedder
from argo_agents.stores.factory import Stores, open_stores
from argo_agents.stores.records import NodeRecord
from tests.fakes import ToolCallingFake

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stores(endpoints: Endpoints) -> Iterator[Stores]:
    opened = open_stores(endpoints)
    yield opened
    opened.close()


def test_model_writes_the_result_from_the_gathered_graph_context(stores: Stores) -> None:
    tag = "zl" + uuid.uuid4().hex[:10]
    stores.graph.upsert_nodes(
        [
            NodeRecord(
                "Knowledge",
                f"kn-{tag}",
                1,
                "h",
                {
                    "title": f"Index orders {tag}",
                    "text": f"{tag} checkout latency fell after indexing",
                },
            )
        ]
    )
    draft = {
        "summary": f"{tag} checkout latency is dominated by order lookups.",
        "findings": [f"Order lookups scan the table (knowledge 'Index orders {tag}')"],
        "artefacts": [],
        "confidence": 0.8,
        "knowledge": [{"title": f"{tag} lookups", "text": "index orders", "tags": []}],
    }
    fake = ToolCallingFake(
        messages=iter(
            [
                AIMessage(
                    content="", tool_calls=[{"name": StepDraft.__name__, "args": draft, "id": "c1"}]
                )
            ]
        ),
        seen=[],
    )
    deps = AgentDeps(stores=stores, embedder=HashingEmbedder(), model=fake)
    graph = build_agent_graph("technical", lambda: deps).compile()
    subject = f"the {tag} checkout latency"
    result = asyncio.run(
        graph.ainvoke(
            {
                "goal": f"Optimize {subject}",
                "goal_id": f"goal-{tag}",
                "intent": "optimize",
                "subject": subject,
                "agent_id": "technical-1",
                "upstream": {},
                "step": {
                    "id": "analyze_performance",
                    "action": "analyze_performance",
                    "category": "analysis",
                    "description": f"Profile {subject}",
                },
            }
        )
    )["result"]
    assert result["produced_by"] == "llm" and result["summary"] == draft["summary"]
    assert f"Index orders {tag}" in str(fake.seen[0][0].content)  # the model saw the context
    # other tests' knowledge may also mention "checkout latency": at least ours was found
    assert any(s.startswith("neo4j: ") and "knowledge item" in s for s in result["sources"])
    assert any(s.startswith("llm: ") for s in result["sources"])

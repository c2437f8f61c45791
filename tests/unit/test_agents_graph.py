"""The agent subgraph's shape: gather_context → produce_result, typed input and output."""

from __future__ import annotations

import pytest
from langgraph.graph import StateGraph

from argo_agents.agents import AGENT_KINDS, build_agent_graph


def _no_tools() -> None:
    raise AssertionError("building or drawing a graph must not open stores")


@pytest.mark.parametrize("kind", AGENT_KINDS)
def test_builder_returns_an_uncompiled_two_node_graph(kind: str) -> None:
    builder = build_agent_graph(kind, _no_tools)  # type: ignore[arg-type]
    assert isinstance(builder, StateGraph)
    drawing = builder.compile(name=kind).get_graph().draw_mermaid()
    assert "__start__ --> gather_context" in drawing
    assert "gather_context --> produce_result" in drawing
    assert "produce_result --> __end__" in drawing


def test_input_and_output_schemas_are_the_agent_contract() -> None:
    graph = build_agent_graph("technical", _no_tools).compile()  # type: ignore[arg-type]
    assert set(graph.get_input_jsonschema()["required"]) == {
        "goal",
        "goal_id",
        "intent",
        "subject",
        "step",
        "agent_id",
        "upstream",
    }
    assert list(graph.get_output_jsonschema()["properties"]) == ["result"]


def test_unknown_kind_is_refused_with_the_valid_choices() -> None:
    with pytest.raises(ValueError, match="technical"):
        build_agent_graph("legal", _no_tools)  # type: ignore[arg-type]


def test_agent_kinds() -> None:
    assert AGENT_KINDS == ("technical", "research", "creative")

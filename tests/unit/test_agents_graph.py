"""The agent subgraph's shape: begin → offline policy, or model ↔ tools → finish."""

from __future__ import annotations

import pytest
from langgraph.graph import StateGraph

from argo_agents.agents import AGENT_KINDS, build_agent_graph


def _no_tools() -> None:
    raise AssertionError("building or drawing a graph must not open stores")


@pytest.mark.parametrize("kind", AGENT_KINDS)
def test_builder_returns_an_uncompiled_tool_loop_graph(kind: str) -> None:
    builder = build_agent_graph(kind, _no_tools)  # type: ignore[arg-type]
    assert isinstance(builder, StateGraph)
    drawing = builder.compile(name=kind).get_graph().draw_mermaid()
    assert "__start__ --> begin" in drawing
    assert "begin -.-> work_offline" in drawing and "begin -.-> call_model" in drawing
    assert "call_model -.-> run_tools" in drawing and "run_tools -.-> call_model" in drawing
    assert "finish --> __end__" in drawing and "work_offline --> __end__" in drawing


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

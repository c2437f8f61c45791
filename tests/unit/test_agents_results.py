"""Results from tool outputs: citations kept, invented ones dropped, confidence from evidence."""

from __future__ import annotations

from typing import Any

import pytest

from argo_agents.agents.llm import FigureDraft, FindingDraft, StepDraft, check_draft
from argo_agents.agents.models import AgentKind
from argo_agents.agents.policy import planned_calls
from argo_agents.agents.results import compose, confidence, scope_of
from argo_agents.agents.state import AgentState, agent_run
from argo_agents.agents.tools import SPECS, TOOLSETS, Record, ToolOutput, cache_key
from argo_agents.api import GoalRun
from argo_agents.orchestrator.context import Context
from argo_agents.orchestrator.errors import InvalidContextError
from argo_agents.orchestrator.state import StepRun


def state(action: str = "identify_bottlenecks") -> AgentState:
    return {  # type: ignore[typeddict-item]
        "goal": "Optimize the checkout query latency by 40%",
        "goal_id": "goal-1",
        "intent": "optimize",
        "subject": "the checkout query latency",
        "agent_id": "research-1",
        "upstream": {},
        "step": {"id": action, "action": action, "category": "analysis", "description": "d"},
        "run": {"run_id": "run-1", "max_tool_calls": 8},
    }


def history(*rows: tuple[str, bool, float]) -> ToolOutput:
    return ToolOutput(
        tool="step_history",
        args={"action": "identify_bottlenecks"},
        records=[
            Record(
                store="bigquery",
                record_id=rid,
                query="step_history",
                title=rid,
                fields={"success": ok, "duration_s": d},
            )
            for rid, ok, d in rows
        ],
        note=f"{len(rows)} past runs",
    )


def empty(tool: str) -> ToolOutput:
    return ToolOutput(tool=tool, note=f"0 records from {tool}")


def test_figures_are_computed_from_the_records_and_name_them() -> None:
    out = history(("a1", True, 2.0), ("a2", False, 4.0), ("a3", True, 6.0))
    result = compose("research", state(), [out, empty("knowledge_search")])
    figures = {f.name: f for f in result.figures}
    assert figures["past_runs"].value == 3
    assert figures["past_success_rate"].value == pytest.approx(0.667)
    assert figures["past_mean_duration_s"].value == pytest.approx(4.0)
    assert figures["past_success_rate"].records == ["a1", "a2", "a3"]
    assert [(c.store, c.record_id) for c in result.evidence] == [
        ("bigquery", "a1"),
        ("bigquery", "a2"),
        ("bigquery", "a3"),
    ]
    assert "ran 3 time(s) in other goals, 2 succeeded" in result.findings[0]
    assert "[bigquery a1 via step_history]" in result.findings[0]
    assert any("knowledge_search found nothing" in q for q in result.open_questions)


def test_a_step_with_no_evidence_says_so_and_is_not_confident() -> None:
    result = compose("research", state(), [empty("knowledge_search"), empty("step_history")])
    assert result.evidence == [] and result.findings == [] and result.figures == []
    assert result.confidence == 0.1
    assert result.open_questions[0].startswith("No stored record bears on identify_bottlenecks")
    assert "no stored evidence found" in result.summary
    assert result.knowledge == []  # nothing to remember: no boilerplate piles up


def test_confidence_grows_with_evidence_and_drops_with_failed_reads() -> None:
    one = history(("a1", True, 1.0))
    three = history(("a1", True, 1.0), ("a2", True, 1.0), ("a3", True, 1.0))
    failed = ToolOutput(tool="learned_patterns", error="neo4j: down")
    assert confidence([one]) < confidence([three])
    assert confidence([three, failed]) < confidence([three])


def test_model_citations_of_records_no_tool_returned_are_dropped_and_said() -> None:
    out = history(("a1", True, 2.0), ("a2", True, 4.0))
    draft = StepDraft(
        summary="s",
        findings=[
            FindingDraft(text="runs are fast", record_ids=["a1", "made-up"]),
            FindingDraft(text="a hunch", record_ids=[]),
        ],
        figures=[
            FigureDraft(name="mean_s", value=3.0, unit="s", record_ids=["a1", "a2"]),
            FigureDraft(name="guess", value=9.0, unit="s", record_ids=["nope"]),
        ],
        open_questions=[],
    )
    checked = check_draft(draft, [out])
    assert checked.findings[0] == "runs are fast [bigquery a1 via step_history]"
    assert checked.findings[1] == "a hunch (rests on no record)"
    assert [(f.name, f.records) for f in checked.figures] == [("mean_s", ["a1", "a2"])]
    assert any("made-up" in q for q in checked.questions)
    assert any("guess" in q for q in checked.questions)


@pytest.mark.parametrize("kind", ["technical", "research", "creative"])
def test_each_kind_has_its_tools_and_the_offline_policy_uses_only_them(kind: AgentKind) -> None:
    scope = scope_of(state())
    calls = planned_calls(kind, scope, "Identify the bottlenecks")
    assert calls and {name for name, _ in calls} <= set(TOOLSETS[kind])
    for name, args in calls:
        SPECS[name].args.model_validate(args)  # the policy's arguments are valid tool args


def test_toolsets_fit_the_kinds() -> None:
    assert {"dependency_paths", "related_entities", "step_history"} <= set(TOOLSETS["technical"])
    assert {"knowledge_search", "step_history"} <= set(TOOLSETS["research"])
    assert {"similar_cases", "learned_patterns"} <= set(TOOLSETS["creative"])


def test_tool_cache_keys_depend_on_run_tool_and_arguments() -> None:
    base: dict[str, Any] = {"action": "x", "days": 90}
    key = cache_key("run-1", "step_history", base)
    assert key == cache_key("run-1", "step_history", {"days": 90, "action": "x"})
    assert key != cache_key("run-2", "step_history", base)
    assert key != cache_key("run-1", "earlier_results", base)
    assert key != cache_key("run-1", "step_history", {**base, "days": 7})


def test_tool_budget_comes_from_the_run_context_and_is_validated() -> None:
    task = {"run_id": "run-9"}
    assert agent_run(task, Context(max_agent_tool_calls=3)) == {
        "run_id": "run-9",
        "max_tool_calls": 3,
    }
    assert agent_run(task, None)["max_tool_calls"] == 8
    for bad in (-1, 51, True, "8"):
        with pytest.raises(InvalidContextError, match="max_agent_tool_calls"):
            Context(max_agent_tool_calls=bad)  # type: ignore[arg-type]


def test_an_offline_finding_quotes_what_the_documents_say_with_their_citations() -> None:
    chunk = (
        "Installation needs Python 3.11 and two commands. The bridge serves only signed "
        "requests: front layers sign each one with HMAC-SHA256."
    )
    found = ToolOutput(
        tool="knowledge_search",
        args={"query": "how do front layers sign bridge requests"},
        records=[
            Record(
                store="chroma",
                record_id=rid,
                query="knowledge_search",
                title=f"Guide › Part {i}",
                score=0.5 - i / 10,
                fields={"text": chunk if i == 0 else "Nothing about it here."},
            )
            for i, rid in enumerate(["doc-1-0", "kn-0123456789abcdef", "doc-1-2", "doc-1-3"])
        ],  # fmt: skip
    )
    [finding] = compose("research", state(), [found]).findings
    assert finding.startswith("For the checkout query latency, the knowledge base says: ")
    # the passage sharing most words with the query, quoted beside its record
    quoted = "'Guide › Part 0': \"The bridge serves only signed requests: front layers sign"
    assert quoted in finding
    assert "Installation" not in finding
    assert "[chroma doc-1-0 via knowledge_search, score 0.50]" in finding
    # the documents come first; an item ARGO wrote about its own step is named, not quoted
    assert "'Guide › Part 2': \"Nothing about it here.\" [chroma doc-1-2" in finding
    assert "'Guide › Part 3' [chroma doc-1-3" in finding
    assert "kn-0123456789abcdef" not in finding
    assert finding.endswith(" and 1 more")


def test_an_offline_technical_finding_says_where_the_step_stands_in_the_plan() -> None:
    def step(sid: str, status: str | None, *deps: str) -> Record:
        return Record(
            store="neo4j",
            record_id=f"goal-1.{sid}",
            query="goal_steps",
            title=sid,
            fields={"status": status, "depends_on": [f"goal-1.{d}" for d in deps]},
        )

    plan = ToolOutput(
        tool="dependency_paths",
        records=[
            step("analyze_performance", "done"),
            step("profile_queries", None),
            step("identify_bottlenecks", "running", "analyze_performance", "profile_queries"),
            step("generate_solutions", None, "identify_bottlenecks"),
            step("write_report", None, "identify_bottlenecks", "generate_solutions"),
        ],
    )
    [finding] = compose("technical", state("identify_bottlenecks"), [plan]).findings
    assert finding == (
        "For the checkout query latency, the plan in the graph has 5 steps: "
        "identify_bottlenecks waits on analyze_performance (done), profile_queries (status "
        "unknown); generate_solutions (status unknown), write_report (status unknown) wait "
        "on it [neo4j goal-1.identify_bottlenecks via goal_steps]"
    )
    [first] = compose("technical", state("analyze_performance"), [plan]).findings
    assert "analyze_performance waits on no other step; identify_bottlenecks (running)" in first
    # a step the graph does not hold yet: what it holds, listed
    [other] = compose("technical", state("deploy"), [plan]).findings
    assert other.startswith("For the checkout query latency, dependency paths found")


def test_a_documentation_step_writes_a_report_of_what_the_steps_before_it_found() -> None:
    upstream = compose(
        "research",
        state("synthesize_findings"),
        [
            history(("a1", True, 2.0)),
            ToolOutput(tool="learned_patterns", note="0 patterns: none learned yet"),
        ],
    )
    writer = {
        **state("write_report"),
        "agent_id": "creative-1",
        "upstream": {"synthesize_findings": upstream.model_dump(mode="json")},
    }
    writer["step"] = {**writer["step"], "category": "documentation"}
    found = ToolOutput(
        tool="knowledge_search",
        args={"query": "checkout latency"},
        records=[
            Record(
                store="chroma",
                record_id="doc-9-0",
                query="knowledge_search",
                title="Postmortem",
                score=0.6,
                fields={"text": "The checkout latency rose to 620 ms after the release."},
            )
        ],  # fmt: skip
    )
    result = compose("creative", writer, [found])
    [report] = [a for a in result.artefacts if a.kind == "report"]
    text = report.content
    assert text.startswith("# Optimize the checkout query latency by 40%\n")
    assert "## Synthesize findings (confidence" in text
    assert "identify_bottlenecks ran 1 time(s) in other goals, 1 succeeded" in text
    assert '"The checkout latency rose to 620 ms after the release."' in text
    # every record cited anywhere is listed once, the open questions carried over
    assert "- bigquery `a1` (step_history)" in text and "- chroma `doc-9-0`" in text
    assert "learned_patterns found nothing (0 patterns: none learned yet)" in text
    run = GoalRun(
        thread_id="t",
        status="completed",
        results={"write_report": StepRun.model_validate(result.model_dump())},
    )
    assert run.reports() == {"write_report": text}
    # a step that is not documentation writes none
    assert not [a for a in upstream.artefacts if a.kind == "report"]

"""The run summary says, per step, whether it was executed (and by what) or only prepared."""

from __future__ import annotations

from rich.console import Console

from argo_agents.api import GoalRun
from argo_agents.cli.render import plan_table, print_outcome
from argo_agents.executors.models import ExecutionRecord
from argo_agents.orchestrator.state import StepRun
from argo_agents.planning.offline import plan_offline

PLAN = plan_offline(
    "Optimise the checkout service's query latency by 40% and deploy the optimisation to production"
)


def run_with_one_executed_and_one_prepared() -> GoalRun:
    execution = ExecutionRecord(
        executor="mcp:ops/deploy",
        kind="mcp",
        target="deploy",
        approval_id="audit-0123456789abcdef",
        arguments={"service": "checkout"},
        result={"text": "deployed"},
        duration_s=0.4,
    )

    def ran(sid: str, **extra: object) -> StepRun:
        return StepRun.model_validate(
            {
                "step_id": sid,
                "agent_id": "technical-1",
                "agent_kind": "technical",
                "summary": f"did {sid}",
                "confidence": 0.7,
                **extra,
            }
        )

    return GoalRun(
        thread_id="goal-1",
        status="completed",
        plan=PLAN,
        step_status={
            "implement_optimizations": "prepared",
            "deploy_to_production": "done",
        },
        results={
            "implement_optimizations": ran(
                "implement_optimizations", not_executed="no executor is configured"
            ),
            "deploy_to_production": ran(
                "deploy_to_production",
                execution=execution,
                findings=['The runbook says: "roll back with [bold]make undo[/bold]"', "2nd"],
                artefacts=[{"name": "r", "kind": "report", "content": "# Deploy\n"}],
            ),
        },
        steps_prepared=["implement_optimizations"],
        steps_executed=["deploy_to_production"],
        executions={"deploy_to_production": execution},
    )


def test_the_summary_names_the_executor_and_the_steps_only_prepared():
    console = Console(record=True, width=200)
    run = run_with_one_executed_and_one_prepared()
    console.print(plan_table(run))
    print_outcome(console, run)
    text = console.export_text()
    assert "implement_optimizations [prepared]" in text
    assert "deploy_to_production [done]" in text
    assert "executed by mcp:ops/deploy under approval audit-0123456789abcdef" in text
    assert "1 step(s) executed (1 executor call(s): mcp:ops/deploy)" in text
    assert "1 step(s) prepared, not executed" in text
    # the first finding, as written (markup in stored text is not rendered)
    assert 'finds: The runbook says: "roll back with [bold]make undo[/bold]"' in text
    assert "2nd" not in text
    assert "wrote a report: argo status goal-1 --report" in text


def test_a_run_with_executions_round_trips_through_json():
    run = run_with_one_executed_and_one_prepared()
    assert GoalRun.model_validate(run.model_dump(mode="json")) == run

"""The source design's analytic queries run verbatim on a warehouse ARGO filled."""

from __future__ import annotations

import uuid

import pytest

from argo_agents.analytics.charts import report_html
from argo_agents.analytics.seed_queries import SEED_QUERIES, UnknownQueryError, run_seed_query
from argo_agents.stores.warehouse import BigQueryWarehouse
from argo_agents.stores.warehouse_schema import SCHEMAS
from tests.orchestration_support import CountingAgents, make_argo, make_services

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def filled(endpoints, tmp_path_factory):
    """Services whose warehouse holds at least one finished goal's records."""
    services = make_services(endpoints, tmp_path_factory.mktemp("seed"))
    run = make_argo(CountingAgents().attach(services)).submit_goal(
        "Build the entire customer loyalty platform for our retail app", budget_usd=5_000
    )
    if run.status == "awaiting_approval":
        run = make_argo(CountingAgents().attach(services)).resume(
            run.thread_id, {p.step_id: "approve" for p in run.pending_approvals}
        )
    assert run.status == "completed"
    yield services, run
    services.close()


@pytest.mark.parametrize("name", sorted(SEED_QUERIES))
def test_each_seed_query_runs_verbatim_and_finds_the_run(filled, name):
    services, run = filled
    rows = run_seed_query(services.stores.warehouse, name)
    assert rows, f"{name} returned nothing after a finished goal"
    agents = {a.agent_id for a in run.assignments.values()}
    if name == "event_patterns":
        assert any(r["event_type"] == "goal_completion" for r in rows)
    elif name == "collaboration_pairs":
        assert any({r["agent1"], r["agent2"]} <= agents for r in rows)
    elif name == "agent_performance":
        mine = [r for r in rows if r["agent_id"] in agents]
        assert mine and all(r["avg_duration_ms"] is not None for r in mine)
    else:
        assert {r["agent_id"] for r in rows} & agents
        assert all(r["tasks_per_hour"] > 0 for r in rows)


def test_an_unknown_query_name_lists_the_known_ones(filled):
    services, _ = filled
    with pytest.raises(UnknownQueryError, match="agent_performance"):
        run_seed_query(services.stores.warehouse, "top_agents")


def test_charts_show_the_agents_and_their_collaborations(filled):
    services, run = filled
    wh = services.stores.warehouse
    page = report_html(
        run_seed_query(wh, "agent_performance"),
        run_seed_query(wh, "agent_workload"),
        run_seed_query(wh, "collaboration_pairs"),
    )
    assert page.startswith("<!doctype html>") and page.count("<svg") == 3
    for agent in {a.agent_id for a in run.assignments.values()}:
        assert agent in page


def test_a_warehouse_made_by_an_earlier_argo_gets_duration_ms_backfilled(endpoints):
    # An agent_activities table as ARGO made it before duration_ms: seconds in duration_s.
    wh = BigQueryWarehouse.from_endpoints(
        endpoints.with_(bigquery_dataset=f"old_{uuid.uuid4().hex[:8]}")
    )
    try:
        old = tuple(c for c in SCHEMAS["agent_activities"].columns if c.name != "duration_ms")
        from google.cloud import bigquery

        client = wh._client
        client.create_dataset(f"{wh.project}.{wh.dataset}")
        fields = [bigquery.SchemaField(c.name, c.type) for c in old]
        fields.append(bigquery.SchemaField("duration_s", "FLOAT64"))
        client.create_table(bigquery.Table(f"{wh.project}.{wh.dataset}.agent_activities", fields))
        client.query(
            f"INSERT INTO `{wh.project}.{wh.dataset}.agent_activities` (id, version, agent_id, "
            "duration_s) VALUES ('a-1', 1, 'technical-1', 1.25)"
        ).result()

        wh.setup()

        rows = wh.query("SELECT id, duration_ms FROM {dataset}.agent_activities")
        assert rows == [{"id": "a-1", "duration_ms": 1250}]
        wh.setup()  # idempotent: nothing added or rewritten the second time
        assert wh.query("SELECT duration_ms FROM {dataset}.agent_activities") == [
            {"duration_ms": 1250}
        ]
    finally:
        wh.close()

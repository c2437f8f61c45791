"""Production checkpointer: a run paused in Postgres is resumed by another Argo."""

from __future__ import annotations

import dataclasses
import uuid

import psycopg
import pytest

from argo_agents.api import Argo
from tests.orchestration_support import CountingAgents, make_services

pytestmark = pytest.mark.integration

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture()
def pg_schema_url():
    """A fresh schema per test, so checkpoints of other runs never interfere."""
    schema = f"argo_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("CREATE SCHEMA {}").format(psycopg.sql.Identifier(schema)))
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("DROP SCHEMA {} CASCADE").format(psycopg.sql.Identifier(schema))
        )


def test_run_paused_in_postgres_resumes_from_a_new_instance(endpoints, tmp_path, pg_schema_url):
    services = make_services(endpoints, tmp_path)
    settings = services.settings.model_copy(update={"checkpoint_url": pg_schema_url})
    services = CountingAgents().attach(dataclasses.replace(services, settings=settings))
    first = Argo(services.settings, services=services)
    run = first.submit_goal("Migrate the orders table to the new sharded cluster", budget_usd=5_000)
    assert run.status == "awaiting_approval"

    second = Argo(services.settings, services=services)
    assert second.get_run(run.thread_id).pending_approvals == run.pending_approvals
    done = second.resume(run.thread_id, {p.step_id: "approve" for p in run.pending_approvals})
    assert done.status == "completed"
    assert not (tmp_path / "checkpoints.sqlite").exists()
    services.close()

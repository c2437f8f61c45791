"""Stack start-up: clear errors without orphans, and first use starts what is missing."""

from __future__ import annotations

import logging
import socket

import pytest

from argo_agents.bootstrap import resolve_endpoints
from argo_agents.local_stack import LocalStack
from argo_agents.local_stack.errors import PortBusyError
from argo_agents.local_stack.stack import pid_alive
from argo_agents.stores.factory import check_health
from tests.conftest import make_settings

pytestmark = pytest.mark.integration


def test_busy_fixed_port_is_reported_and_nothing_is_left_running(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        stack = LocalStack(make_settings(tmp_path, stack_chroma_port=port))
        with pytest.raises(PortBusyError, match=f"port {port}.*ARGO_STACK_"):
            stack.up()
    assert stack._read_state() == {}
    assert stack.status()[0].detail == "not started"


def test_external_store_is_never_started(tmp_path, endpoints):
    # Redis points at the session's server: the stack must leave it alone
    stack = LocalStack(make_settings(tmp_path, redis_url=endpoints.redis_url))
    assert "redis" not in stack.managed_names()


def test_first_use_starts_the_local_stack_and_says_so(tmp_path, caplog):
    settings = make_settings(tmp_path)
    stack = LocalStack(settings)
    try:
        with caplog.at_level(logging.WARNING, logger="argo_agents.bootstrap"):
            endpoints = resolve_endpoints(settings)
        assert "starting the embedded local stack" in caplog.text
        for name in ("redis", "neo4j", "bigquery", "chroma"):
            check_health(name, endpoints)
        # the generated secret never shows in what we print
        assert endpoints.neo4j_password not in repr(endpoints)
        assert oct((stack.secrets_path.stat().st_mode) & 0o777) == "0o600"
        pids = [e["pid"] for e in stack._read_state().values()]
    finally:
        stack.down()
    assert not any(pid_alive(p) for p in pids)


def test_a_partly_started_stack_reports_what_runs(tmp_path):
    stack = LocalStack(make_settings(tmp_path))
    try:
        endpoints = stack.up(only=["redis"])
        check_health("redis", endpoints)
        status = {s.name: s for s in stack.status()}
        assert status["redis"].healthy
        assert [status[n].detail for n in ("neo4j", "bigquery", "chroma")] == ["not started"] * 3
    finally:
        stack.down()

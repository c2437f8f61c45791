"""Faults: a killed server makes its adapter fail fast and typed; the others carry on.

These tests start their OWN local stack in a temporary directory, so killing
its servers harms nobody else (not the session stack, not a developer's).
They also check the stack's lifecycle: `up` twice, `status`, `down`.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from argo_agents.local_stack import LocalStack
from argo_agents.local_stack.stack import pid_alive
from argo_agents.stores.errors import StoreUnavailable
from argo_agents.stores.factory import Stores, open_stores
from argo_agents.stores.records import CacheEntry, NodeRecord, VectorRecord, WarehouseRow
from tests.conftest import make_settings

pytestmark = pytest.mark.integration

TIMEOUT_S = 2.0
SLACK_S = 1.5  # process start-up of the exception path, retry back-off granularity


@pytest.fixture(scope="module")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    local = LocalStack(
        make_settings(Path(tmp_path_factory.mktemp("argo-faults")), store_timeout_s=TIMEOUT_S)
    )
    local.up()
    yield local
    local.down()


def kill(stack: LocalStack, name: str) -> int:
    """SIGKILL a server's whole process group and wait until it is gone."""
    pid = int(stack._read_state()[name]["pid"])
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid)
    reap(pid)
    return pid


def reap(pid: int) -> None:
    """Collect a dead child (the stack started the servers from this process)."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def one_write(stores: Stores, name: str) -> Callable[[], object]:
    """A small real write on store ``name``."""
    tag = f"f{time.monotonic_ns()}"
    return {
        "redis": lambda: stores.cache.put_many([CacheEntry(tag, 1, 1, "h", 60)]),
        "neo4j": lambda: stores.graph.upsert_nodes([NodeRecord("Task", tag, 1, "h")]),
        "bigquery": lambda: stores.warehouse.insert_rows(
            [WarehouseRow("events", tag, {"id": tag, "version": 1})]
        ),
        "chroma": lambda: stores.vectors.upsert(
            [VectorRecord("faults", tag, 1, "h", "doc", [1.0, 0.0])]
        ),
    }[name]


def test_up_twice_is_harmless(fault_stack: LocalStack) -> None:
    before = {n: e["pid"] for n, e in fault_stack._read_state().items()}
    endpoints = fault_stack.up()
    after = {n: e["pid"] for n, e in fault_stack._read_state().items()}
    assert before == after and set(after) == {"redis", "neo4j", "bigquery", "chroma"}
    assert endpoints == fault_stack.endpoints()


@pytest.mark.parametrize("victim", ["redis", "neo4j", "bigquery", "chroma"])
def test_killed_server_fails_fast_and_others_keep_working(
    fault_stack: LocalStack, victim: str
) -> None:
    stores = open_stores(fault_stack.endpoints())
    try:
        stores.warehouse.setup()
        for name in ("redis", "neo4j", "bigquery", "chroma"):
            one_write(stores, name)()  # warm: pooled connections exist when the kill comes
        kill(fault_stack, victim)

        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as info:
            one_write(stores, victim)()
        elapsed = time.monotonic() - started
        assert elapsed < TIMEOUT_S + SLACK_S, f"{victim} took {elapsed:.2f}s to fail"
        assert info.value.store == victim and "argo stack up" in str(info.value)
        assert fault_stack.endpoints().neo4j_password not in str(info.value)

        for name in {"redis", "neo4j", "bigquery", "chroma"} - {victim}:
            one_write(stores, name)()
        health = stores.health()
        assert isinstance(health[victim], StoreUnavailable)
        assert all(health[n] is None for n in health if n != victim)
    finally:
        stores.close()
        fault_stack.up()  # restart the victim on its port, with its data


def test_status_reflects_a_killed_server(fault_stack: LocalStack) -> None:
    assert all(s.healthy for s in fault_stack.status())
    kill(fault_stack, "redis")
    try:
        by_name = {s.name: s for s in fault_stack.status()}
        assert by_name["redis"].healthy is False
        assert all(by_name[n].healthy for n in ("neo4j", "bigquery", "chroma"))
    finally:
        fault_stack.up()
    assert all(s.healthy for s in fault_stack.status())


def test_down_leaves_no_process_behind(fault_stack: LocalStack) -> None:
    pids = [int(e["pid"]) for e in fault_stack._read_state().values()]
    try:
        assert sorted(fault_stack.down()) == ["bigquery", "chroma", "neo4j", "redis"]
        for pid in pids:
            assert not pid_alive(pid)
            reap(pid)  # this test process is their parent: collect any zombie leader
            with pytest.raises(ProcessLookupError):
                os.killpg(pid, 0)  # nothing left in the server's process group either
        assert fault_stack._read_state() == {}
    finally:
        fault_stack.up()  # the module's other tests need the stack, in any order

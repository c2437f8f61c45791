"""Version counters: kept across a Redis crash (AOF), never silently restarted when lost.

These tests kill and flush Redis, so they run on their OWN local stack in a
temporary directory (as `test_store_faults` does): the session's servers and
the other tests' namespaces are not touched, and `recover` walks stores that
hold only this module's entities.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from argo_agents.cli.sync_commands import sync_app
from argo_agents.local_stack import LocalStack
from argo_agents.local_stack.processes import free_port
from argo_agents.local_stack.servers import redis_server_binary
from argo_agents.stores.embeddings import HashingEmbedder
from argo_agents.stores.errors import StoreError, StoreRejected
from argo_agents.stores.factory import Stores, open_stores
from argo_agents.stores.redis_stream import RedisStreams
from argo_agents.sync import CountersLost, Operation, SyncConfig, SyncEngine, SyncEvent
from argo_agents.sync.epoch import EpochGuard, warn_if_volatile
from argo_agents.sync.matrix import STORES
from tests.conftest import make_settings
from tests.integration.test_store_faults import kill
from tests.integration.test_sync_support import assert_holds, raw_row_counts, uid

pytestmark = pytest.mark.integration

# One of each kind of target set: all four stores, graph + cache, vector + cache, warehouse
# only, cache only.
TYPES = ("knowledge", "goal", "step", "embedding", "metric", "session_data")


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    local = LocalStack(make_settings(Path(tmp_path_factory.mktemp("argo-counters"))))
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="module")
def stores(own_stack: LocalStack) -> Iterator[Stores]:
    opened = open_stores(own_stack.endpoints())
    yield opened
    opened.close()


@pytest.fixture
def make_engine(stores: Stores) -> Iterator[Callable[..., SyncEngine]]:
    made: list[SyncEngine] = []

    def factory(**config: object) -> SyncEngine:
        cfg = SyncConfig(namespace=f"test:{uuid.uuid4().hex[:10]}", **config)  # defaults
        engine = SyncEngine(stores, HashingEmbedder(384), cfg)
        engine.setup()
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        engine.close()


def entities(run: str) -> list[SyncEvent]:
    return [
        SyncEvent(
            entity_type=t,
            entity_id=f"{run}-{t}-{i}",
            data={"text": f"{t} {i} of {run}", "name": "n", "value": i},
        )
        for t in TYPES
        for i in range(4)
    ]


def changed(events: list[SyncEvent]) -> list[SyncEvent]:
    """New data for the same entities (a new hash, so a new event)."""
    return [
        SyncEvent(entity_type=e.entity_type, entity_id=e.entity_id, data={**e.data, "round": 2})
        for e in events
    ]


def versioned(events: list[SyncEvent], version: int) -> list[SyncEvent]:
    return [e.model_copy(update={"version": version}) for e in events]


def until(check: Callable[[], object], timeout_s: float = 60.0) -> object:
    """Call ``check`` until it returns something truthy without a store error."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
            if result:
                return result
        except StoreError:
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def namespace_keys(engine: SyncEngine) -> list[str]:
    pattern = engine.ctx.keys.prefix.replace("{", "\\{").replace("}", "\\}") + "*"
    return [k.decode() for k in engine.ctx.redis.client.keys(pattern)]


def test_a_redis_killed_and_restarted_from_its_aof_keeps_the_counters(
    own_stack: LocalStack, stores: Stores, make_engine
) -> None:
    engine = make_engine()
    events = entities(uid("aof"))
    stop = threading.Event()
    worker = engine.worker("aof-worker")
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        ids = engine.publish(events)
        until(lambda: engine.receipt(ids).fully_applied == len(events))
        epoch = engine.ctx.outbox.epoch()

        kill(own_stack, "redis")  # SIGKILL: no shutdown, no final save; the AOF is all it has
        own_stack.up(only=["redis"])  # same port, same directory: it replays the AOF
        until(lambda: stores.cache.health() or True)

        assert engine.ctx.outbox.epoch() == epoch == EpochGuard(engine.ctx).durable().epoch
        versions = engine.ctx.redis.hget_fields(
            engine.ctx.keys.versions, [e.entity_key for e in events]
        )
        assert versions == ["1"] * len(events)  # every acknowledged publish kept its version
        engine.setup()  # the epochs agree: no refusal

        again = changed(events)
        ids2 = until(lambda: engine.publish(again))  # the worker is still running
        until(lambda: engine.receipt(ids2).fully_applied == len(events))
    finally:
        stop.set()
        thread.join(timeout=30)
        worker.close()
    assert_holds(engine, versioned(again, 2))
    assert engine.verify().divergence == 0


def test_b_an_empty_redis_refuses_to_publish_until_recover(stores: Stores, make_engine) -> None:
    engine = make_engine()
    run = uid("lost")
    events = entities(run)
    gone = SyncEvent(entity_type="goal", entity_id=f"{run}-deleted", data={"text": "soon gone"})
    engine.publish(events + [gone])
    engine.publish([events[0], events[4]])  # two entities reach version 2
    engine.publish(
        [SyncEvent(entity_type="goal", entity_id=gone.entity_id, operation=Operation.DELETE)]
    )
    assert engine.drain(timeout_s=60).complete

    stores.cache.client.flushall()  # as a brand-new Redis would be: every key is gone

    with pytest.raises(CountersLost) as caught:
        engine.publish(events[:3])
    assert isinstance(caught.value, StoreRejected)  # callers catching store errors see it
    assert engine.config.namespace in str(caught.value)
    assert "argo sync recover" in str(caught.value)
    assert namespace_keys(engine) == []  # nothing was written: no stream, ledger or counter
    with pytest.raises(CountersLost):
        engine.setup()
    assert namespace_keys(engine) == []

    report = engine.recover()
    assert report.lost and report.raised == report.entities >= len(events) + 1 - 4
    assert engine.ctx.outbox.epoch() == report.epoch == EpochGuard(engine.ctx).durable().epoch
    # What the stores hold: v2 for two entities, the delete's v2, v1 for the others --
    # except session data, which lived only in the flushed Redis (no store remembers it).
    held = {
        e.entity_key: 2 if e in (events[0], events[4]) else 1
        for e in events
        if e.entity_type != "session_data"
    }
    held[f"goal|{gone.entity_id}"] = 2
    counters = engine.ctx.redis.hget_fields(engine.ctx.keys.versions, list(held))
    assert dict(zip(held, map(int, counters), strict=True)) == held
    assert engine.recover().raised == 0  # idempotent: nothing lower to raise any more

    # Every entity's next version is above what any store holds, and lands everywhere.
    published = engine.ctx.outbox.append(changed(events))
    expected = {e.entity_key: held.get(e.entity_key, 0) + 1 for e in events}
    assert {e.entity_key: e.version for e in published} == expected
    revived = engine.publish([gone])  # after its delete at v2
    assert engine.drain(timeout_s=60).complete
    assert_holds(engine, published)
    assert engine.receipt(revived).fully_applied == 1
    assert (
        engine.ctx.reader.versions("neo4j", "goal", [gone.entity_id])[gone.entity_id].version == 3
    )
    metrics = [e.entity_id for e in events if e.entity_type == "metric"]
    assert set(raw_row_counts(stores, "metrics", metrics).values()) == {2}  # v1 and v2 rows
    # The rebuilt ledger also lists this module's earlier entities, which the flushed
    # cache lost (verify says so; `--repair` refills it): only those diverge.
    check = engine.verify()
    assert check.divergence == check.missing and {p.store for p in check.problems} == {"redis"}
    assert not {p.entity_id for p in check.problems} & {e.entity_id for e in events + [gone]}


def test_a_redis_with_another_epoch_is_refused(make_engine) -> None:
    engine = make_engine()
    engine.ctx.redis.hset_many({engine.ctx.keys.epoch: {"id": "an-old-copy"}})
    with pytest.raises(CountersLost, match="an-old-c"):
        engine.setup()
    assert engine.recover().lost
    engine.setup()


def test_counters_lost_on_their_own_are_refused(make_engine) -> None:
    engine = make_engine()
    event = SyncEvent(entity_type="metric", entity_id=uid("evicted"), data={"value": 1})
    engine.publish([event])
    engine.ctx.redis.client.delete(engine.ctx.keys.versions)  # as an eviction of that one key
    with pytest.raises(CountersLost):
        engine.publish([event])
    assert engine.ctx.outbox.sizes()[0] == 1  # only the first publish's entry
    engine.recover()
    engine.publish([SyncEvent(entity_type="metric", entity_id=event.entity_id, data={"value": 2})])
    assert engine.ctx.redis.hget_fields(engine.ctx.keys.versions, [event.entity_key]) == ["2"]


def test_cli_recover_and_a_worker_that_refuses_to_start(
    own_stack: LocalStack, stores: Stores, make_engine, monkeypatch, tmp_path
) -> None:
    engine = make_engine()
    events = entities(uid("cli"))[:8]
    engine.publish(events)
    assert engine.drain(timeout_s=60).complete
    stores.cache.client.flushall()

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("ARGO_DATA_DIR", str(own_stack.settings.data_dir))
    monkeypatch.setenv("ARGO_SYNC_NAMESPACE", engine.config.namespace)
    monkeypatch.setenv("ARGO_EMBEDDING_PROVIDER", "hashing")
    refused = CliRunner().invoke(sync_app, ["worker"])
    assert refused.exit_code == 2, refused.output
    assert "argo sync recover" in " ".join(refused.output.split())

    result = CliRunner().invoke(sync_app, ["recover"])
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "the counters were lost" in text and "entities found" in text
    assert "Publishing is open again" in text

    ids = engine.publish(events)
    assert engine.drain(timeout_s=60).complete
    assert engine.receipt(ids).fully_applied == len(events)
    assert_holds(engine, versioned(events, 2))


def test_setup_warns_about_a_redis_that_can_lose_the_outbox(stores: Stores, tmp_path: Path) -> None:
    assert warn_if_volatile(stores.streams) == []  # the local stack's Redis

    def started(*args: str) -> tuple[subprocess.Popen, RedisStreams]:
        port = free_port()
        proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(tmp_path),
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        redis = RedisStreams.from_url(f"redis://127.0.0.1:{port}/0")
        until(lambda: redis.xlen("probe") >= 0, timeout_s=10)
        return proc, redis

    volatile, redis = started("--appendonly", "no", "--maxmemory-policy", "allkeys-lru")
    locked, locked_redis = started("--rename-command", "CONFIG", "")
    try:
        warnings = warn_if_volatile(redis)
        assert len(warnings) == 2
        assert "appendonly=no" in warnings[0] and "appendonly yes" in warnings[0]
        assert "allkeys-lru" in warnings[1] and "noeviction" in warnings[1]
        [unknown] = warn_if_volatile(locked_redis)
        assert "could not check" in unknown and "appendonly yes" in unknown
    finally:
        for proc in (volatile, locked):
            proc.terminate()
            proc.wait(timeout=10)


def test_recover_on_a_healthy_namespace_reads_every_store_and_lowers_nothing(make_engine) -> None:
    engine = make_engine()
    events = entities(uid("read"))
    engine.publish(events)
    assert engine.drain(timeout_s=60).complete
    ahead = events[0].entity_key  # as if v5 were published and not yet applied anywhere
    engine.ctx.redis.hset_many({engine.ctx.keys.versions: {ahead: 5}})
    first = engine.recover()  # raises this namespace's counters for the module's other entities
    assert not first.lost
    assert set(first.read) == {"ledger", *STORES} and all(first.read.values())
    counters = engine.ctx.redis.hget_fields(
        engine.ctx.keys.versions, [e.entity_key for e in events]
    )
    assert counters == ["5"] + ["1"] * (len(events) - 1)
    assert engine.recover().raised == 0
    assert engine.publish(events[:1]) and engine.ctx.redis.hget_fields(
        engine.ctx.keys.versions, [ahead]
    ) == ["6"]

"""Counters' epoch, recovery merge, leases and claim cursors, on fakes (no servers)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from argo_agents.stores.redis_stream import MissingGuard, StreamEntry
from argo_agents.sync import CountersLost, SyncEvent, lease
from argo_agents.sync.epoch import warn_if_volatile
from argo_agents.sync.keys import Keys
from argo_agents.sync.outbox import CLAIM_SCANS, Outbox
from argo_agents.sync.recover import RecoverReport, Recovery
from argo_agents.sync.scan import Held


class FakeRedis:
    """The few `RedisStreams` methods these tests reach, scripted."""

    address = "redis://fake:6379"

    def __init__(self) -> None:
        self.config: dict[str, str] | None = {"appendonly": "yes", "maxmemory-policy": "noeviction"}
        self.claims: list[tuple[str, str]] = []  # (stream, start)
        self.pel: dict[str, list[str]] = {}  # stream → ids claimable, in order
        self.raised: list[Any] = []

    def server_config(self, names: list[str]) -> dict[str, str] | None:
        return self.config

    def append(self, *args: Any, **kwargs: Any) -> Any:
        raise MissingGuard("redis", self.address, "no guard")

    def claim_idle(
        self,
        stream: str,
        group: str,
        consumer: str,
        min_idle_ms: int,
        count: int,
        start: str = "0-0",
    ) -> tuple[list[StreamEntry], str]:
        """Each call scans two PEL entries from ``start`` (as Redis scans 10 × count)."""
        self.claims.append((stream, start))
        ids = self.pel.get(stream, [])
        begin = 0 if start == "0-0" else ids.index(start)
        end = begin + min(2, count)
        window = ids[begin:end]
        cursor = ids[end] if end < len(ids) else "0-0"
        return [StreamEntry(stream, i, {"v": "1", "e": b"{}"}) for i in window], cursor

    def raise_versions(self, counter_key: str, ledger_key: str, items: list[Any]) -> int:
        self.raised += items
        return len(items)


def outbox(redis: FakeRedis) -> Outbox:
    return Outbox(redis, Keys("t"), "g", chunk=10, chunk_bytes=1 << 20)  # type: ignore[arg-type]


# ---- epoch and persistence ----------------------------------------------------------------
def test_a_lost_guard_becomes_counters_lost_naming_namespace_and_command():
    with pytest.raises(CountersLost) as caught:
        outbox(FakeRedis()).append([SyncEvent(entity_type="goal", entity_id="g1")])
    text = str(caught.value)
    assert "'t'" in text and "argo sync recover" in text and "nothing was published" in text


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"appendonly": "yes", "maxmemory-policy": "noeviction"}, []),
        ({"appendonly": "no", "maxmemory-policy": "noeviction"}, ["appendonly=no"]),
        ({"appendonly": "yes", "maxmemory-policy": "volatile-lru"}, ["volatile-lru"]),
        (None, ["could not check"]),
    ],
)
def test_volatile_redis_settings_are_warned_about(config, expected, caplog):
    redis = FakeRedis()
    redis.config = config
    warnings = warn_if_volatile(redis)  # type: ignore[arg-type]
    assert len(warnings) == len(expected)
    for text, fragment in zip(warnings, expected, strict=True):
        assert fragment in text and redis.address in text
    assert [r.levelname for r in caplog.records] == ["WARNING"] * len(expected)


# ---- claims ---------------------------------------------------------------------------------
def test_claims_continue_from_the_cursor_instead_of_restarting():
    redis = FakeRedis()
    box = outbox(redis)
    stream = box.keys.streams[0]
    redis.pel[stream] = [f"{n}-0" for n in range(1, 8)]
    cursors: dict[str, str] = {}
    rounds = [[d.entry.id for d in box.claim("me", 1000, 3, cursors)] for _ in range(3)]
    assert rounds == [["1-0", "2-0", "3-0"], ["4-0", "5-0", "6-0"], ["7-0"]]
    assert (stream, "4-0") in redis.claims  # the second round started where the first ended
    assert cursors[stream] == "0-0"  # the end was reached: the next round starts over


def test_one_claim_round_scans_a_stream_at_most_claim_scans_times():
    redis = FakeRedis()
    box = outbox(redis)
    stream = box.keys.streams[0]
    redis.pel[stream] = [f"{n}-0" for n in range(1, 200)]
    box.claim("me", 1000, 10_000, {})
    assert sum(1 for s, _ in redis.claims if s == stream) == CLAIM_SCANS


# ---- leases ---------------------------------------------------------------------------------
class FakeOutbox:
    def __init__(self) -> None:
        self.renewed: list[float] = []
        self.dropped: list[tuple[int, str]] = []

    def renew(self, consumer: str, deliveries: Any) -> list[str]:
        self.renewed.append(time.monotonic())
        return []

    def drop_idle_consumers(self, min_idle_ms: int, *, keep: str = "") -> list[str]:
        self.dropped.append((min_idle_ms, keep))
        return []


def test_a_lease_renews_every_third_of_the_claim_idle_time_while_held():
    box = FakeOutbox()
    held = lease.Lease(box, "me", claim_idle_ms=300)  # type: ignore[arg-type]
    assert held.interval_s == pytest.approx(0.1)
    with held.hold([]):
        time.sleep(0.55)
    time.sleep(0.05)  # a renewal racing the end of the batch
    during = len(box.renewed)
    time.sleep(0.3)
    assert len(box.renewed) == during  # nothing once the batch is over
    assert 3 <= during <= 6 and held.renewals == during


def test_a_lease_gives_up_on_a_batch_that_hangs(monkeypatch):
    monkeypatch.setattr(lease, "MAX_HOLD_FACTOR", 1)
    box = FakeOutbox()
    held = lease.Lease(box, "me", claim_idle_ms=300)  # type: ignore[arg-type]
    with held.hold([]):
        time.sleep(0.8)
    assert 1 <= len(box.renewed) <= 3  # stopped after 0.3 s


def test_gone_consumers_are_swept_after_claims_and_periodically_not_on_every_step():
    box = FakeOutbox()
    sweeper = lease.ConsumerSweeper(box, "me", claim_idle_ms=100)  # type: ignore[arg-type]
    assert sweeper.dead_after_ms == 1000
    sweeper.sweep(claimed=False)  # the first step sweeps
    for _ in range(5):
        sweeper.sweep(claimed=False)
    assert box.dropped == [(1000, "me")]
    time.sleep(0.11)
    sweeper.sweep(claimed=True)  # a claim took entries: their owner may be gone
    sweeper.sweep(claimed=True)  # ...but not again within claim_idle_ms
    assert len(box.dropped) == 2


# ---- recovery -------------------------------------------------------------------------------
class FakeScanner:
    def __init__(self, pages: dict[str, list[Held]]) -> None:
        self.pages = pages

    def scan(self, source: str, entity_type: str):
        if entity_type == "goal" and self.pages.get(source):
            yield self.pages[source]


def test_recovery_takes_the_highest_version_any_store_holds():
    redis = FakeRedis()
    recovery = Recovery.__new__(Recovery)
    recovery.ctx = type("Ctx", (), {"redis": redis, "keys": Keys("t")})()  # type: ignore[assignment]
    recovery.progress = lambda what, n: None
    recovery.scanner = FakeScanner(
        {  # type: ignore[assignment]
            "bigquery": [
                Held("a", 3, "h3", "update", "orchestrator", 1000),
                Held("gone", 4, "hd", "delete", "orchestrator", 2000),
            ],
            "neo4j": [Held("a", 5, "h5", "", "redis", 5000), Held("b", 1, "hb", "", "", 0)],
            "chroma": [Held("b", -1, "", "", "")],  # an unreadable version counts for nothing
            "redis": [Held("c", 2, "hc")],
        }
    )
    report = RecoverReport()
    recovery._rebuild("goal", report)
    items = {i[0]: i for i in redis.raised}
    assert report.entities == 4 and report.read == {
        "bigquery": 2,
        "neo4j": 2,
        "chroma": 1,
        "redis": 1,
    }
    assert items["goal|a"][1:] == (5, "a", "5|h5|update|redis|5000")
    assert items["goal|gone"][3].startswith("4|hd|delete|orchestrator|2000")
    assert items["goal|b"][3].startswith("1|hb|update|orchestrator|")  # defaults filled in
    assert items["goal|c"][1] == 2

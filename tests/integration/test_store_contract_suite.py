"""One contract suite over all four stores (ARGO issue 10, item 4).

The invariants every adapter must keep (ports.py): idempotent batch writes, the
version fence, deletes, unknown ids, verbatim text and typed errors. Each is
written once against `StoreHarness` (store_contract.py) and runs against the
four real adapters on the session's local servers: ids ``redis``, ``neo4j``,
``bigquery``, ``chroma``. An invariant that needs a capability a store lacks is
not run for it (as langgraph's checkpoint conformance suite leaves out the
capabilities a saver does not implement).

Store-specific behaviour (graph paths and edges, warehouse queries and views,
vector search, cache TTLs, ...) stays in test_store_contracts.py; a killed
server of a real stack is test_store_faults.py.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from argo_agents.config.endpoints import Endpoints
from argo_agents.stores.errors import StoreRejected, StoreUnavailable
from tests.integration.store_contract import (
    HARNESSES,
    HOSTILE,
    HOSTILE_IDS,
    STORES,
    Capability,
    Refusal,
    StoreHarness,
    rec,
    uid,
)

pytestmark = pytest.mark.integration

DOWN_TIMEOUT_S = 0.5  # the adapters' configured timeout in the store-down test
SLACK_S = 1.5  # exception path and retry back-off granularity (as in test_store_faults.py)


class _Opened:
    """Each store's harness, opened on first use and closed with the module."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self.open: dict[str, StoreHarness] = {}

    def __getitem__(self, name: str) -> StoreHarness:
        if name not in self.open:
            self.open[name] = HARNESSES[name].open(self.endpoints)
        return self.open[name]

    def close(self) -> None:
        for harness in self.open.values():
            harness.close()


@pytest.fixture(scope="module")
def opened(endpoints: Endpoints) -> Iterator[_Opened]:
    harnesses = _Opened(endpoints)
    yield harnesses
    harnesses.close()


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, opened: _Opened) -> StoreHarness:
    return opened[request.param]


def stores_with(*needed: Capability) -> list[str]:
    """The stores whose port has every capability (an invariant binds only those)."""
    return [n for n in STORES if set(needed) <= set(HARNESSES[n].capabilities)]


def ids_of(n: int) -> list[str]:
    return [uid("c") for _ in range(n)]


# ---- (1) idempotent batch write ------------------------------------------------------------
def test_same_batch_twice_keeps_one_record_per_id(store: StoreHarness) -> None:
    ids = ids_of(3)
    batch = [rec(i, 1, f"payload of {i}") for i in ids]
    first = store.write(batch)
    second = store.write(batch)  # a redelivered batch
    if Capability.REPORTS_STALE in store.capabilities:
        assert first is not None and second is not None
        assert (sorted(first.applied), first.stale) == (sorted(ids), [])
        assert (second.applied, sorted(second.stale)) == ([], sorted(ids))
    # BigQuery: the raw table now holds each row twice (streaming inserts are appends; the
    # emulator, like BigQuery after a minute, does not dedupe row ids). Readers go through
    # the latest view and `versions()`, which show one row per id; the sync engine's writer
    # reads before it appends so it never sends a batch twice (test_sync_long_faults.py
    # counts the raw rows).
    assert store.count(ids) == dict.fromkeys(ids, 1)
    assert {i: (v.version, v.hash) for i, v in store.versions(ids).items()} == dict.fromkeys(
        ids, (1, "h1")
    )
    read = store.read(ids)
    assert sorted(read) == sorted(ids)
    assert all(set(read[i]) == {f"payload of {i}"} for i in ids), read


# ---- (2) the version fence: older never replaces newer -------------------------------------
def test_older_version_never_replaces_a_newer_one(store: StoreHarness) -> None:
    known, fresh = uid("c"), uid("c")
    store.write([rec(known, 5, "new")])
    late = store.write([rec(known, 4, "old")])  # a late arrival
    mixed = store.write([rec(known, 3, "older"), rec(fresh, 1, "fresh")])
    if Capability.REPORTS_STALE in store.capabilities:
        assert late is not None and (late.applied, late.stale) == ([], [known])
        assert mixed is not None and (mixed.applied, mixed.stale) == ([fresh], [known])
    # BigQuery keeps every row; the latest view's rule (highest version per id) decides.
    got = store.versions([known, fresh])
    assert {i: (v.version, v.hash) for i, v in got.items()} == {known: (5, "h5"), fresh: (1, "h1")}
    read = store.read([known, fresh])
    assert set(read[known]) == {"new"} and set(read[fresh]) == {"fresh"}
    assert store.count([known]) == {known: 1}


# ---- (3) a newer version replaces the older one ---------------------------------------------
def test_newer_version_replaces_the_older_one(store: StoreHarness) -> None:
    a, b = uid("c"), uid("c")
    store.write([rec(a, 1, "first a"), rec(b, 1, "first b")])
    result = store.write([rec(a, 2, "second a"), rec(b, 7, "second b")])
    if Capability.REPORTS_STALE in store.capabilities:
        assert result is not None and (sorted(result.applied), result.stale) == (sorted([a, b]), [])
    got = store.versions([a, b])
    assert {i: (v.version, v.hash) for i, v in got.items()} == {a: (2, "h2"), b: (7, "h7")}
    read = store.read([a, b])
    assert set(read[a]) == {"second a"} and set(read[b]) == {"second b"}
    assert store.count([a, b]) == {a: 1, b: 1}


# ---- (4) delete ----------------------------------------------------------------------------
def test_delete_removes_the_record(store: StoreHarness) -> None:
    a, b, never = ids_of(3)
    store.write([rec(a, 1), rec(b, 1)])
    deleted = store.delete([a, b, never], version=2)  # decided at a version above the stored
    if Capability.DELETE_COUNT in store.capabilities:
        assert deleted == 2  # the id never written is not counted
    assert store.read([a, b, never]) == {}
    assert store.count([a, b, never]) == {}
    if Capability.TOMBSTONE_DELETE in store.capabilities:
        # BigQuery: the delete is a row of its own; `versions()` reports it at the delete's
        # version, which is how `verify` knows the entity is deleted.
        assert {i: v.version for i, v in store.versions([a, b]).items()} == {a: 2, b: 2}
    else:
        assert store.versions([a, b, never]) == {}


@pytest.mark.parametrize("name", stores_with(Capability.FENCED_DELETE))
def test_delete_at_an_older_version_keeps_a_newer_record(opened: _Opened, name: str) -> None:
    store = opened[name]
    older, newer = uid("c"), uid("c")
    store.write([rec(older, 3, "older"), rec(newer, 7, "newer")])
    # a delete decided at version 5 (read before another worker wrote v7)
    deleted = store.delete([older, newer], version=5)
    if Capability.DELETE_COUNT in store.capabilities:
        assert deleted == 1
    assert list(store.read([older, newer])) == [newer]
    assert store.versions([newer])[newer].version == 7
    assert set(store.read([newer])[newer]) == {"newer"}
    if Capability.DELETE_AT_SAME_VERSION in store.capabilities:
        # "at or below": a delete at exactly the stored version removes it. (Not BigQuery: the
        # latest view has no rule for two rows of one version, and the sync engine never
        # writes a delete at the version of the update it deletes.)
        deleted = store.delete([newer], version=7)
        if Capability.DELETE_COUNT in store.capabilities:
            assert deleted == 1
        assert store.read([newer]) == {} and store.versions([newer]) == {}


@pytest.mark.parametrize("name", stores_with(Capability.UNVERSIONED_DELETE))
def test_delete_by_id_alone_removes_any_version(opened: _Opened, name: str) -> None:
    store = opened[name]
    a, never = uid("c"), uid("c")
    store.write([rec(a, 9)])
    deleted = store.delete([a, never], version=None)
    if Capability.DELETE_COUNT in store.capabilities:
        assert deleted == 1
    assert store.read([a, never]) == {} and store.versions([a, never]) == {}
    assert store.delete([a], version=None) in (0, None)  # deleting again is harmless


# ---- (5) versions of unknown ids -----------------------------------------------------------
def test_versions_of_unknown_ids_are_empty_and_of_a_mixed_list_only_the_known(
    store: StoreHarness,
) -> None:
    assert store.versions([]) == {}
    assert store.versions(ids_of(2)) == {}
    a, b = uid("c"), uid("c")
    store.write([rec(a, 1, "a"), rec(b, 3, "b")])
    mixed = [uid("c"), a, uid("c"), b]
    got = store.versions(mixed)
    assert {i: (v.id, v.version, v.hash) for i, v in got.items()} == {
        a: (a, 1, "h1"),
        b: (b, 3, "h3"),
    }
    assert sorted(store.read(mixed)) == sorted([a, b])


# ---- (6) hostile text round-trips verbatim -------------------------------------------------
@pytest.mark.parametrize("text", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_text_round_trips_verbatim(store: StoreHarness, text: str) -> None:
    rid = uid("c") + text[:40]  # hostile text in the id (key, node id, row id, vector id) too
    other = uid("c")
    store.write([rec(rid, 1, text), rec(other, 1, "plain")])
    got = store.read([rid])
    assert list(got) == [rid]
    assert got[rid] and all(copy == text for copy in got[rid]), (
        f"{store.name} changed the text: {[c[:60] for c in got[rid]]}"
    )
    assert store.versions([rid])[rid].id == rid
    if Capability.FIND_BY_TEXT in store.capabilities:
        # the text as a query parameter (a Cypher/SQL parameter or a Chroma filter value)
        assert store.find(text) == [rid]


# ---- (7) bad data raises StoreRejected -----------------------------------------------------
def _refusal_params() -> list[object]:
    params: list[object] = []
    for name in STORES:
        for refusal in HARNESSES[name].refusals:
            params.append(pytest.param(name, refusal, id=f"{name}-{refusal.name}"))
    return params


@pytest.mark.parametrize(("name", "refusal"), _refusal_params())
def test_bad_data_raises_store_rejected(opened: _Opened, name: str, refusal: Refusal) -> None:
    store = opened[name]
    rid = uid("bad")
    with pytest.raises(StoreRejected, match=refusal.match) as info:
        refusal.attempt(store, rid)
    assert info.value.store == name and info.value.hint  # says where and what to do
    if refusal.id_stays_free:
        assert store.versions([rid]) == {}  # nothing of the refused write is stored
    store.write([rec(uid("c"), 1)])  # and the adapter carries on


# ---- (8) a store that is down: StoreUnavailable in time ------------------------------------
def _closed_port() -> tuple[int, socket.socket | None]:
    """A port nobody listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1], None


def _silent_server() -> tuple[int, socket.socket | None]:
    """A port that accepts connections (into the kernel's backlog) and never answers:
    only the adapter's timeout ends the wait."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s.getsockname()[1], s


FAULTS: dict[str, Callable[[], tuple[int, socket.socket | None]]] = {
    "closed-port": _closed_port,
    "silent-server": _silent_server,
}


@pytest.fixture(params=list(FAULTS))
def dead_port(request: pytest.FixtureRequest) -> Iterator[int]:
    port, listener = FAULTS[request.param]()
    yield port
    if listener is not None:
        listener.close()


@pytest.mark.parametrize("name", STORES)
def test_a_store_that_is_down_raises_store_unavailable_in_time(
    endpoints: Endpoints, dead_port: int, name: str
) -> None:
    redis_password = urlsplit(endpoints.redis_url).password or ""
    secrets = [s for s in (redis_password, endpoints.neo4j_password) if s]
    assert len(secrets) == 2  # the local stack's servers have passwords: check neither leaks
    down = endpoints.with_(
        redis_url=f"redis://:{redis_password}@127.0.0.1:{dead_port}/0",
        neo4j_uri=f"bolt://127.0.0.1:{dead_port}",
        bigquery_endpoint=f"http://127.0.0.1:{dead_port}",
        chroma_host="127.0.0.1",
        chroma_port=dead_port,
        timeout_s=DOWN_TIMEOUT_S,
    )
    operations: dict[str, Callable[[StoreHarness], object]] = {
        "write": lambda h: h.write([rec(uid("c"), 1)]),
        "versions": lambda h: h.versions([uid("c")]),
    }
    for op, call in operations.items():
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as info:
            harness = HARNESSES[name].open(down, setup=False)  # Chroma connects right here
            try:
                call(harness)
            finally:
                harness.close()
        elapsed = time.monotonic() - started
        error = info.value
        assert elapsed < DOWN_TIMEOUT_S + SLACK_S, f"{name} {op} took {elapsed:.2f}s to fail"
        assert error.store == name and str(dead_port) in error.address, error
        assert "argo stack up" in error.hint and error.hint in str(error)  # what to do
        for secret in secrets:
            assert secret not in f"{error} {error.address} {error.args!r}", f"{name} {op}"

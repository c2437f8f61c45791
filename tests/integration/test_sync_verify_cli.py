"""Verification finds every kind of divergence and repair fixes it; the `argo sync` CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from argo_agents.cli.sync_commands import sync_app
from argo_agents.stores.records import WarehouseRow
from argo_agents.sync import ConflictStrategy, SyncEvent
from argo_agents.sync.mappers import to_node
from argo_agents.sync.matrix import spec_for
from argo_agents.sync.verify import Verifier
from tests.integration.test_sync_support import (  # noqa: F401  (fixtures)
    assert_holds,
    make_engine_fixture,
    sync_stores_fixture,
    uid,
)

pytestmark = pytest.mark.integration


def test_verify_reports_missing_stale_divergent_and_repair_fixes_them(make_engine, sync_stores):
    engine = make_engine()
    run = uid("verify")
    events = [
        SyncEvent(entity_type="knowledge", entity_id=f"{run}-{i}", data={"text": f"fact {i}"})
        for i in range(6)
    ]
    engine.publish(events)
    assert engine.drain(timeout_s=30).complete
    assert engine.verify("knowledge").divergence == 0
    k = [e.entity_id for e in events]
    sync_stores.cache.invalidate([f"knowledge:{k[0]}"])  # missing in Redis
    sync_stores.graph.delete_nodes("Knowledge", [k[1]])  # missing in Neo4j
    sync_stores.vectors.delete("knowledge", [k[2]])  # missing in Chroma
    sync_stores.warehouse.insert_rows(
        [
            WarehouseRow(
                "knowledge_base",
                f"rogue-{k[3]}",
                {"id": k[3], "version": 2, "hash": "f" * 64, "content": {"text": "rogue"}},
            )
        ]
    )  # divergent
    engine.publish([SyncEvent(entity_type="knowledge", entity_id=k[4], data={"text": "v2"})])
    engine.ctx.outbox.read("nobody", 10, None)  # v2 delivered to a worker that never acks
    stale = SyncEvent(entity_type="knowledge", entity_id=k[4], data={"text": "v2"}, version=2)
    sync_stores.graph.upsert_nodes([to_node(stale, spec_for("knowledge"))])  # only Neo4j has v2

    report = engine.verify("knowledge")
    assert (report.missing, report.divergent) == (3, 1)
    assert report.stale == 3  # Redis, BigQuery and Chroma still hold v1 of k[4]
    assert {(p.entity_id, p.store) for p in report.problems} >= {
        (k[0], "redis"),
        (k[1], "neo4j"),
        (k[2], "chroma"),
        (k[3], "bigquery"),
    }

    repaired = engine.verify("knowledge", repair=True)
    assert repaired.repaired == 5 and repaired.unrepairable == []
    assert engine.drain(timeout_s=60).complete
    assert engine.verify("knowledge").divergence == 0
    assert sync_stores.cache.get_many([f"knowledge:{k[4]}"])[f"knowledge:{k[4]}"] == {"text": "v2"}


@pytest.fixture
def cli(monkeypatch, stack_settings, tmp_path):
    def run(namespace: str, *args: str):
        monkeypatch.chdir(tmp_path)  # no stray .env
        monkeypatch.setenv("ARGO_DATA_DIR", str(stack_settings.data_dir))
        monkeypatch.setenv("ARGO_SYNC_NAMESPACE", namespace)
        monkeypatch.setenv("ARGO_EMBEDDING_PROVIDER", "hashing")
        result = CliRunner().invoke(sync_app, list(args))
        result.text = " ".join(result.output.split())  # rich wraps to the terminal width
        return result

    return run


def test_cli_status_verify_dlq_replay_and_conflicts(make_engine, cli):
    engine = make_engine(strategies={"knowledge": ConflictStrategy.MANUAL})
    ns = engine.config.namespace
    eid = uid("cli")
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=eid, data={"text": "one"}, version=1)]
    )
    engine.drain(timeout_s=30)
    rogue = SyncEvent(entity_type="knowledge", entity_id=eid, data={"text": "rogue"}, version=2)
    engine.ctx.stores.graph.upsert_nodes([to_node(rogue, spec_for("knowledge"))])
    engine.publish(
        [SyncEvent(entity_type="knowledge", entity_id=eid, data={"text": "two"}, version=2)]
    )
    engine.drain(timeout_s=30)
    engine.ctx.deadletters.add(None, "outbox", "cannot decode outbox entry", 0, raw=b"{oops")

    out = cli(ns, "status")
    assert out.exit_code == 0, out.output
    assert "1 dead letters" in out.text and "1 parked conflicts" in out.text
    out = cli(ns, "dlq")
    assert out.exit_code == 0 and "cannot" in out.text
    assert cli(ns, "replay").exit_code == 2
    assert "replayed 0" in cli(ns, "replay", "--all").text  # unreadable: nothing to replay

    out = cli(ns, "conflicts")
    assert out.exit_code == 0 and eid in out.output
    [parked] = engine.conflicts()
    out = cli(ns, "conflicts", "--show", parked.id[:16])
    assert out.exit_code == 0 and "rogue" in out.output and "two" in out.output
    out = cli(ns, "conflicts", "--resolve", parked.id[:16], "--take", "incoming")
    assert out.exit_code == 0, out.output
    engine.drain(timeout_s=30)
    out = cli(ns, "verify", "--entity-type", "knowledge")
    assert out.exit_code == 0, out.output
    assert "0 missing, 0 stale, 0 divergent" in out.text
    assert cli(ns, "verify", "--entity-type", "spaceship").exit_code == 2


def test_sync_commands_answer_in_json_for_scripts(make_engine, cli):
    engine = make_engine(strategies={"knowledge": ConflictStrategy.MANUAL})
    ns = engine.config.namespace
    eid = uid("cli-json")
    engine.publish([knowledge(eid, "one", version=1)])
    engine.drain(timeout_s=30)
    rogue = knowledge(eid, "rogue", version=2)
    engine.ctx.stores.graph.upsert_nodes([to_node(rogue, spec_for("knowledge"))])
    engine.publish([knowledge(eid, "two", version=2)])
    engine.drain(timeout_s=30)
    engine.ctx.deadletters.add(None, "outbox", "cannot decode outbox entry", 0, raw=b"{oops")

    def answer(*args: str) -> dict:
        out = cli(ns, *args, "--json")
        assert out.exit_code == 0, out.output
        [line] = out.stdout.splitlines()  # one object, nothing else on stdout
        return json.loads(line)

    [letter] = answer("dlq")["dead_letters"]
    assert letter["store"] == "outbox" and letter["event"] is None
    assert answer("replay", "--all") == {"replayed": []}
    [parked] = answer("conflicts")["conflicts"]
    assert parked["event"]["entity_id"] == eid and parked["event"]["data"] == {"text": "two"}
    shown = answer("conflicts", "--show", parked["id"][:16])["conflict"]
    assert shown["stored_data"]["text"] == "rogue"
    resolved = answer("conflicts", "--resolve", parked["id"], "--take", "incoming")
    assert resolved["take"] == "incoming" and resolved["event_id"]
    engine.drain(timeout_s=30)
    report = answer("verify", "--entity-type", "knowledge")
    assert (report["missing"], report["divergent"], report["outbox"]) == (0, 0, 0)
    recovered = answer("recover")
    assert recovered["lost"] is False and recovered["namespace"] == ns


# ---- repair never overwrites a newer version; parked entities are reported ------------------


def knowledge(eid: str, text: str, **kw) -> SyncEvent:
    return SyncEvent(entity_type="knowledge", entity_id=eid, data={"text": text}, **kw)


def with_graph_copy_lost(engine, sync_stores) -> tuple[str, SyncEvent]:
    """v1 everywhere, then lost from Neo4j (verify finds it missing); returns (id, v2 to be
    published by someone else while verify runs)."""
    eid = uid("repair-race")
    engine.publish([knowledge(eid, "v1")])
    assert engine.drain(timeout_s=30).complete
    sync_stores.graph.delete_nodes("Knowledge", [eid])
    return eid, knowledge(eid, "v2 published while verify --repair runs")


def test_repair_skips_an_entity_published_after_the_scan_read_it(
    make_engine, sync_stores, monkeypatch
):
    engine = make_engine()
    eid, v2 = with_graph_copy_lost(engine, sync_stores)
    check, sent = Verifier._check, []

    def check_then_publish(self, etype, entries, report):  # the scan has read v1 from the ledger
        bad = check(self, etype, entries, report)
        if not sent:
            sent.extend(engine.publish([v2]))
        return bad

    monkeypatch.setattr(Verifier, "_check", check_then_publish)
    report = engine.verify("knowledge", repair=True)
    assert report.missing == 1 and report.repaired == 0 and sent
    [skipped] = report.unrepairable
    assert skipped.startswith(f"knowledge:{eid} (skipped: v2 was published after the scan read v1")
    assert engine.drain(timeout_s=30).complete
    assert_holds(engine, [v2.model_copy(update={"version": 2})])  # not v1's data at v3
    assert engine.verify("knowledge").divergence == 0


def test_repair_does_not_overwrite_a_version_published_between_its_check_and_append(
    make_engine, sync_stores, monkeypatch
):
    engine = make_engine()
    eid, v2 = with_graph_copy_lost(engine, sync_stores)
    newest, sent = engine.ctx.conflicts.newest, []

    def check_then_race(entities):  # the repair's check still sees v1; then v2 is published
        found = newest(entities)
        if not sent:
            sent.extend(engine.publish([v2]))
        return found

    monkeypatch.setattr(engine.ctx.conflicts, "newest", check_then_race)
    report = engine.verify("knowledge", repair=True)
    assert report.repaired == 0 and sent
    assert report.unrepairable == [
        f"knowledge:{eid} (skipped: v2 was published while it was "
        f"being repaired; verify again once it is applied)"
    ]
    assert newest([("knowledge", eid)]) == {("knowledge", eid): 2}  # no repair appended
    assert engine.drain(timeout_s=30).complete
    assert_holds(engine, [v2.model_copy(update={"version": 2})])


def test_a_repair_is_published_on_the_version_it_checked(make_engine, sync_stores):
    engine = make_engine()
    eid, _ = with_graph_copy_lost(engine, sync_stores)
    report = engine.verify("knowledge", repair=True)
    assert report.repaired == 1 and report.unrepairable == []
    [entry] = engine.ctx.outbox.read("inspector", 10, None)
    assert (entry.event.version, entry.event.base_version) == (2, 1)
    assert entry.event.operation_id == "repair:1"


def test_verify_reports_parked_entities_and_leaves_them_to_a_human(make_engine, cli):
    engine = make_engine(strategies={"knowledge": ConflictStrategy.MANUAL})
    eid = uid("parked")
    engine.publish([knowledge(eid, "one", version=1)])
    assert engine.drain(timeout_s=30).complete
    rogue = knowledge(eid, "rogue", version=2)
    engine.ctx.stores.graph.upsert_nodes([to_node(rogue, spec_for("knowledge"))])
    engine.publish([knowledge(eid, "two", version=2)])
    assert engine.drain(timeout_s=30).complete
    [parked] = engine.conflicts()

    report = engine.verify("knowledge")
    assert report.parked == 1
    assert report.divergent == 1  # checked like any other entity: the graph holds the rogue
    assert {(p.entity_id, p.store, p.kind) for p in report.problems} == {
        (eid, "neo4j", "parked"),
        (eid, "neo4j", "divergent"),
    }
    assert engine.verify("goal").parked == 0  # counted for the types checked

    repaired = engine.verify("knowledge", repair=True)
    assert repaired.repaired == 0
    assert repaired.unrepairable == [
        f"knowledge:{eid} (parked conflict: resolve it with `argo sync conflicts`)"
    ]
    assert engine.ctx.outbox.sizes() == (0, 0) and engine.conflicts() == [parked]

    out = cli(engine.config.namespace, "verify", "--entity-type", "knowledge")
    assert out.exit_code == 1, out.output
    assert "1 parked conflicts" in out.text
    assert f"parked neo4j knowledge:{eid}" in out.text

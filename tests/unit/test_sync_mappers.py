"""Mappers: one event to each store's record."""

from argo_agents.stores.warehouse_schema import SCHEMAS
from argo_agents.sync import mappers
from argo_agents.sync.events import Operation, SyncEvent
from argo_agents.sync.matrix import spec_for


def ev(etype="knowledge", **data):
    return SyncEvent(entity_type=etype, entity_id="e1", version=2, data=data, confidence=0.7)


def test_cache_entry_holds_the_data_without_the_embedding():
    e = ev(text="t", embedding=[0.1, 0.2])
    entry = mappers.to_cache_entry(e, 60)
    assert entry.value == {"text": "t"} and entry.version == 2 and entry.hash == e.hash
    assert entry.key == "knowledge:e1" and entry.ttl_s == 60


def test_node_keeps_scalars_as_properties_and_exact_json_for_repair():
    e = ev(text="t", nested={"a": 1}, tags=["x", "y"], id="clash", embedding=[0.1])
    node = mappers.to_node(e, spec_for("knowledge"))
    assert node.label == "Knowledge" and node.props["tags"] == ["x", "y"]
    assert node.props["nested"] == '{"a":1}' and "id" not in node.props
    assert "embedding" not in node.props
    assert mappers.data_from_node(node.props) == mappers.content(e)


def test_edges_from_relations_and_collaborations():
    e = ev("step", relations=[{"type": "DEPENDS_ON", "label": "Step", "id": "s0"}])
    [edge] = mappers.to_edges(e, spec_for("step"))
    assert (edge.type, edge.src_label, edge.dst_id) == ("DEPENDS_ON", "Step", "s0")
    c = ev("collaboration", agent_id="a1", partner_id="a2", success=False, task_id="t")
    [collab] = mappers.to_edges(c, spec_for("collaboration"))
    assert collab.type == "COLLABORATED_WITH" and collab.props["success"] is False


def test_rows_fit_the_warehouse_schema_for_every_type():
    samples = {
        "agent_activity": {"agent_id": "a", "success": "yes", "duration_s": 2},
        "metric": {"name": "n", "value": 3},
        "audit": {"actor": "u", "action": "x"},
        "pattern": {"task_type": "opt", "success_rate": 0.8},
    }
    for etype in (
        "knowledge",
        "pattern",
        "goal",
        "plan",
        "step_result",
        "collaboration",
        "agent_activity",
        "event",
        "metric",
        "audit",
    ):
        spec = spec_for(etype)
        row = mappers.to_row(ev(etype, **samples.get(etype, {"text": "x"})), spec)
        assert set(row.values) <= SCHEMAS[spec.table].names, etype
        assert row.row_id == ev(etype).event_id
    act = mappers.to_row(
        ev("agent_activity", success="yes", duration_s=2), spec_for("agent_activity")
    )
    # durations arrive in seconds and are kept as the design's whole milliseconds
    assert act.values["success"] is None and act.values["duration_ms"] == 2000
    given_ms = mappers.to_row(ev("agent_activity", duration_ms=1234), spec_for("agent_activity"))
    assert given_ms.values["duration_ms"] == 1234


def test_shared_tables_prefix_the_entity_type():
    assert mappers.warehouse_id("goal", "g1", "events") == "goal:g1"
    assert mappers.warehouse_id("event", "e1", "events") == "e1"
    assert mappers.warehouse_id("knowledge", "k", "knowledge_base") == "k"


def test_delete_row_and_vector_record():
    d = SyncEvent(entity_type="metric", entity_id="m", version=3, operation=Operation.DELETE)
    assert mappers.to_row(d, spec_for("metric")).values["operation"] == "delete"
    v = mappers.to_vector(ev(text="doc", score=1.5, tags=["a"]), [0.0, 1.0])
    assert v.collection == "knowledge" and v.document == "doc" and "tags" not in v.metadata

"""Where an event's publish→applied time goes: a batch's spans and their breakdown."""

from argo_agents.sync.spans import BatchSpans, breakdown, spans_enabled, tail_profile


def batch(**overrides: object) -> BatchSpans:
    spans = BatchSpans(
        published_ms=[1000, 1040],
        read_ms=1050.0,
        ready_ms=1090.0,
        apply_ms=1092.0,
        written_ms=1192.0,
        end_ms=1197.0,
        stores={"redis": 10.0, "chroma": 70.0, "similar": 30.0},
        retries={"neo4j": 1},
        worker="w1",
    )
    for key, value in overrides.items():
        setattr(spans, key, value)
    return spans


def test_the_parts_of_each_event_add_up_to_its_publish_to_settled_time():
    b = batch(published_ms=[1000, 1040, 1070])  # the last one came with the top-up read
    parts = breakdown([b])
    assert parts["outbox"] == [50.0, 10.0, 20.0]
    assert parts["baton"] == [40.0, 40.0, 0.0]
    assert parts["writes"] == [100.0] * 3 and parts["chroma"] == [70.0] * 3
    assert "neo4j" not in parts  # only timed stores are parts
    for i, pub in enumerate(b.published_ms):
        total = sum(parts[k][i] for k in ("outbox", "baton", "prepare", "writes", "settle"))
        assert parts["total"][i] == total == 1197.0 - pub


def test_spans_survive_their_trip_through_redis():
    b = batch()
    assert BatchSpans.decode(b.encode()) == b
    assert BatchSpans.decode(BatchSpans([5], 6.0).encode()).parts()["writes"] == 0.0


def test_the_tail_profile_compares_the_slowest_events_with_the_fastest_half():
    fast = [batch(published_ms=[1100], read_ms=1101.0) for _ in range(19)]
    slow = batch(published_ms=[100])  # waited 950 ms in the outbox
    slowest, typical = tail_profile(breakdown([*fast, slow]), 95)
    assert slowest["outbox"] - typical["outbox"] > 900
    assert slowest["writes"] == typical["writes"] == 100.0


def test_workers_keep_spans_only_when_asked():
    assert spans_enabled({"ARGO_SYNC_SPANS": "1"}) and not spans_enabled({})

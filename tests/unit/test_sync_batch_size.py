"""Adaptive batch size (halve above 1 s, min 10; double below 50/s, max 200)."""

from argo_agents.sync.batch_size import AdaptiveBatchSize


def test_halves_when_slow_down_to_the_minimum():
    b = AdaptiveBatchSize(100, 10, 200)
    assert b.observe(100, 1.5) == 50
    for _ in range(10):
        b.observe(b.size, 2.0)
    assert b.size == 10


def test_doubles_when_throughput_is_low_up_to_the_maximum():
    b = AdaptiveBatchSize(100, 10, 200)
    assert b.observe(20, 0.8) == 200  # 25 events/s
    assert b.observe(20, 0.8) == 200


def test_grows_while_full_batches_come_back_fast_and_holds_otherwise():
    b = AdaptiveBatchSize(100, 10, 1000)
    assert b.observe(100, 0.1) == 200
    assert b.observe(150, 0.1) == 200  # not full: no reason to grow
    assert b.observe(200, 0.7) == 200  # full but not fast
    assert b.observe(0, 0.0) == 200  # an empty poll changes nothing


def test_a_read_under_half_the_batch_size_is_light_and_more_is_a_backlog():
    b = AdaptiveBatchSize(100, 10, 200)
    assert b.light(1) and b.light(49)
    assert not b.light(50) and not b.light(100)  # written at once by every worker

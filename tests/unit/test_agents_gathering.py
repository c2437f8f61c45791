"""Context-gathering helpers: key terms and the degrade-don't-crash rule for store errors."""

from __future__ import annotations

import logging

import pytest

from argo_agents.agents.gathering import Gatherer, key_terms, plural
from argo_agents.stores.errors import StoreRejected, StoreUnavailable


def test_key_terms_drop_stopwords_and_possessives() -> None:
    assert key_terms("the checkout service's query latency") == [
        "checkout",
        "service",
        "query",
        "latency",
    ]
    assert key_terms("x'}) DETACH DELETE n //") == ["detach", "delete"]
    assert len(key_terms("one two three four five six seven eight nine")) == 6


def test_an_unavailable_store_is_tried_once_then_skipped(caplog: pytest.LogCaptureFixture) -> None:
    g, calls = Gatherer(), []

    def down() -> None:
        calls.append(1)
        raise StoreUnavailable("neo4j", "bolt://127.0.0.1:1", "refused")

    with caplog.at_level(logging.WARNING):
        assert g.call("neo4j", "related nodes", down) is None
        assert g.call("neo4j", "knowledge search", down) is None
    assert calls == [1]
    assert g.sources == [
        "no context from neo4j (related nodes): neo4j at bolt://127.0.0.1:1: refused"
    ]
    assert "neo4j failed for related nodes" in caplog.text


def test_a_refused_query_is_recorded_and_other_queries_still_run() -> None:
    g = Gatherer()

    def refused() -> None:
        raise StoreRejected("bigquery", "http://127.0.0.1:9", "bad SQL")

    assert g.call("bigquery", "history", refused) is None
    assert g.call("bigquery", "other", lambda: [1]) == [1]
    assert len(g.sources) == 1


def test_programming_errors_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        Gatherer().call("neo4j", "bug", lambda: {}["missing"])


def test_plural() -> None:
    assert [plural(1, "past activity"), plural(2, "past activity"), plural(2, "key")] == [
        "1 past activity",
        "2 past activities",
        "2 keys",
    ]

"""Where the embedded local stack may start by itself (ARGO_LOCAL_STACK)."""

from __future__ import annotations

import pytest

from argo_agents.bootstrap import may_start_local_stack, resolve_endpoints
from argo_agents.config import Settings
from argo_agents.local_stack.errors import MissingStoreConfigError


def test_never_makes_a_missing_store_an_error_naming_what_to_set(tmp_path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=tmp_path, local_stack="never", redis_url="redis://x:6379/0"
    )
    with pytest.raises(MissingStoreConfigError) as err:
        resolve_endpoints(settings)
    text = str(err.value)
    assert "ARGO_NEO4J_URI" in text and "ARGO_CHROMA_HOST" in text and "ARGO_BIGQUERY" in text
    assert "ARGO_REDIS_URL" not in text  # Redis is configured
    assert not (tmp_path / "stack").exists()  # nothing was started or written


def test_auto_starts_locally_but_not_in_a_deployed_langgraph_server(monkeypatch) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.delenv("LANGGRAPH_RUNTIME_EDITION", raising=False)
    assert may_start_local_stack(settings)
    monkeypatch.setenv("LANGGRAPH_RUNTIME_EDITION", "inmem")  # `langgraph dev`
    assert may_start_local_stack(settings)
    monkeypatch.setenv("LANGGRAPH_RUNTIME_EDITION", "postgres")  # a deployed server
    assert not may_start_local_stack(settings)


def test_google_bigquery_is_named_by_its_endpoint_and_uses_default_credentials() -> None:
    from argo_agents.stores.warehouse import _is_google

    assert _is_google("https://bigquery.googleapis.com")
    assert _is_google("https://bigquery.googleapis.com/bigquery/v2")
    assert not _is_google("http://127.0.0.1:9050")  # the emulator: anonymous credentials
    assert not _is_google("https://googleapis.com.example.org")

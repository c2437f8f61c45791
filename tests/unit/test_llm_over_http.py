"""The LLM path through the real OpenAI client, against a scripted server over HTTP."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from langchain_openai import ChatOpenAI

from argo_agents.config import Settings
from argo_agents.planning.llm import PlanDraft
from argo_agents.stores.embeddings import HashingEmbedder, OpenAIEmbedder, make_embedder
from tests import smoke_llm_plan
from tests.openai_stub import OpenAIStub, ToolCall


def test_a_plan_comes_from_the_model_configured_by_base_url_and_model_name() -> None:
    smoke_llm_plan.run()  # asserts: source llm, the PlanDraft tool, the rendered prompt


def test_openai_default_strict_output_is_refused_for_the_plan_schema() -> None:
    # Why ARGO asks through function calling: the client's default (strict JSON
    # schema) sends the plan schema with defaults and optional fields, which the
    # API refuses with a 400.
    with OpenAIStub(lambda body: ToolCall("PlanDraft", smoke_llm_plan.DRAFT)) as stub:
        model = ChatOpenAI(model="m", api_key="k", base_url=stub.base_url, max_retries=0)
        with pytest.warns(UserWarning), pytest.raises(Exception, match="400"):
            model.with_structured_output(PlanDraft).invoke("plan")
    assert stub.errors and "strict mode" in stub.errors[0]


def test_a_chat_endpoint_does_not_choose_remote_embeddings() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, openai_base_url="http://127.0.0.1:1/v1", openai_api_key="sk-x"
    )
    assert isinstance(make_embedder(settings), HashingEmbedder)


def test_openai_embeddings_download_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.create_connection

    def loopback_only(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if address[0] not in ("127.0.0.1", "localhost"):
            raise OSError(f"network unreachable in this test: {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", loopback_only)
    with OpenAIStub(lambda body: ToolCall("none", {})) as stub:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            embedding_provider="openai",
            openai_base_url=stub.base_url,
            openai_api_key="sk-x",
            embedding_dim=8,
        )
        embedder = make_embedder(settings)
        assert isinstance(embedder, OpenAIEmbedder)
        vectors = embedder.embed_documents(["the orders table", "slow queries"])
    assert len(vectors) == 2 and len(vectors[0]) == 8
    assert [r["input"] for r in stub.requests] == [["the orders table", "slow queries"]]


def test_a_failing_model_falls_back_visibly_or_fails_when_told_never(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from argo_agents.planning.llm import FALLBACK_PREFIX, LLMFallbackRefused, make_plan

    with OpenAIStub(lambda body: ToolCall("PlanDraft", {"steps": "not a list"})) as stub:
        model = ChatOpenAI(model="m", api_key="k", base_url=stub.base_url, max_retries=0)
        with caplog.at_level("WARNING"):
            plan = make_plan(smoke_llm_plan.GOAL, model=model)
        assert plan.source == "offline" and plan.repair_notes[0].startswith(FALLBACK_PREFIX)
        assert FALLBACK_PREFIX in caplog.text
        with pytest.raises(LLMFallbackRefused, match="ARGO_LLM_FALLBACK=offline"):
            make_plan(smoke_llm_plan.GOAL, model=model, fallback="never")

"""Structured output from any chat model, by the method most servers support.

ARGO asks models for its plan and step drafts through *function calling*
(non-strict): OpenAI and the common OpenAI-compatible servers (vLLM,
llama.cpp, Ollama, LM Studio) all accept a tool whose parameters are any JSON
schema. langchain-openai's default, strict JSON-schema output, refuses
schemas with defaults or optional fields (the API answers 400), and many
compatible servers do not offer it at all.
"""

from __future__ import annotations

import inspect
import uuid
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable
from pydantic import BaseModel

from argo_agents.sync.events import SyncEvent


def structured(model: BaseChatModel, schema: type[BaseModel]) -> Runnable[Any, Any]:
    """``model`` returning ``schema`` instances (or dicts) through a function call."""
    params = inspect.signature(model.with_structured_output).parameters
    if "method" in params:  # chat models that offer several methods (ChatOpenAI and kin)
        return model.with_structured_output(schema, method="function_calling")
    return model.with_structured_output(schema)  # the base: bind_tools + parse the call


def fallback_event(goal_id: str, where: str, reason: str) -> SyncEvent:
    """A count of one LLM fallback (warehouse metric ``llm_fallback``), so fallbacks are
    counted as well as logged and recorded in the plan or result."""
    return SyncEvent(
        entity_type="metric",
        entity_id=f"llm-fallback-{uuid.uuid4().hex[:12]}",
        data={"name": "llm_fallback", "value": 1, "goal_id": goal_id, "where": where,
              "reason": reason[:300]},
    )  # fmt: skip

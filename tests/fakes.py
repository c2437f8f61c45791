"""langchain-core fake chat models for tests of the LLM paths (no network)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import BaseMessage


class ToolCallingFake(GenericFakeChatModel):
    """A scripted model whose `bind_tools` keeps it as is, so `with_structured_output`
    parses its tool calls; it records every prompt it was shown in ``seen``."""

    seen: list[list[BaseMessage]] = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:  # type: ignore[override]
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)

"""A scripted OpenAI-compatible chat server, so the real `ChatOpenAI` client code runs.

It answers ``POST /v1/chat/completions`` from a script of replies (tool calls or
text) and checks each request the way the real API does before answering:
message roles and tool-call pairing, tool definitions (names, parameter
schemas), ``tool_choice``, and the rules of strict JSON-schema output (every
object closes ``additionalProperties`` and requires all its properties; no
unsupported keywords). A request that breaks a rule gets the API's 400 error
shape, and the violation is kept in ``errors`` so a test can assert there was
none. Nothing here imports ARGO: the wheel smoke test runs it beside an
installed wheel.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ROLES = {"system", "developer", "user", "assistant", "tool"}
# Keywords strict structured outputs do not accept (OpenAI "Supported schemas").
STRICT_UNSUPPORTED = {"default", "format", "minLength", "maxLength", "pattern", "patternProperties"}


@dataclass(frozen=True)
class ToolCall:
    """A reply that calls one tool with these arguments."""

    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Text:
    """A plain assistant message."""

    content: str


Reply = ToolCall | Text
Script = Callable[[dict[str, Any]], Reply]
"""Given the request body, the reply to send."""


class RequestError(ValueError):
    """The request breaks a rule the real API enforces (answered with HTTP 400)."""


def _strict_schema_problems(schema: Any, path: str = "$") -> list[str]:
    """Where ``schema`` breaks the strict structured-output rules."""
    problems: list[str] = []
    if not isinstance(schema, dict):
        return problems
    for key in STRICT_UNSUPPORTED & schema.keys():
        problems.append(f"{path}: keyword {key!r} is not supported in strict mode")
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            problems.append(f"{path}: 'additionalProperties' must be false in strict mode")
        missing = set(props) - set(schema.get("required", []))
        if missing:
            problems.append(f"{path}: every property must be required, missing {sorted(missing)}")
    for key in ("properties", "$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            problems += _strict_schema_problems(sub, f"{path}.{key}.{name}")
    for key in ("items", "additionalProperties"):
        problems += _strict_schema_problems(schema.get(key), f"{path}.{key}")
    for key in ("anyOf", "allOf", "oneOf"):
        for i, sub in enumerate(schema.get(key) or []):
            problems += _strict_schema_problems(sub, f"{path}.{key}[{i}]")
    return problems


def check_request(body: dict[str, Any]) -> None:
    """Raise `RequestError` as the real API would reject this request."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise RequestError("'model' is required")
    _check_messages(body.get("messages"))
    names = _check_tools(body.get("tools"))
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        wanted = choice.get("function", {}).get("name")
        if wanted not in names:
            raise RequestError(f"tool_choice names {wanted!r}, which is not among the tools")
    elif choice not in (None, "auto", "none", "required"):
        raise RequestError(f"tool_choice {choice!r} is not valid")
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        if not TOOL_NAME.match(str(spec.get("name", ""))):
            raise RequestError("response_format.json_schema.name is required (a-z, 0-9, _ and -)")
        if spec.get("strict") and (problems := _strict_schema_problems(spec.get("schema"))):
            raise RequestError("Invalid schema for response_format: " + "; ".join(problems))


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise RequestError("'messages' must be a non-empty array")
    open_calls: set[str] = set()
    for i, m in enumerate(messages):
        if m.get("role") not in ROLES:
            raise RequestError(f"messages[{i}].role {m.get('role')!r} is not a valid role")
        if m["role"] == "tool":
            if m.get("tool_call_id") not in open_calls:
                raise RequestError(
                    f"messages[{i}]: a 'tool' message must answer a preceding tool call"
                )
            open_calls.discard(m["tool_call_id"])
        elif open_calls:
            raise RequestError(
                f"messages[{i}]: tool calls {sorted(open_calls)} were not answered by tool messages"
            )
        if m["role"] == "assistant":
            open_calls = {c["id"] for c in m.get("tool_calls") or []}


def _check_tools(tools: Any) -> set[str]:
    if tools is None:
        return set()
    if not isinstance(tools, list):
        raise RequestError("'tools' must be an array")
    names: set[str] = set()
    for i, tool in enumerate(tools):
        fn = tool.get("function") if tool.get("type") == "function" else None
        if not isinstance(fn, dict):
            raise RequestError(f"tools[{i}] must be {{'type': 'function', 'function': {{...}}}}")
        name = str(fn.get("name", ""))
        if not TOOL_NAME.match(name):
            raise RequestError(f"tools[{i}].function.name {name!r} is not a valid tool name")
        if name in names:
            raise RequestError(f"tool name {name!r} is defined twice")
        names.add(name)
        params = fn.get("parameters", {"type": "object", "properties": {}})
        if params.get("type") != "object":
            raise RequestError(f"tools[{i}].function.parameters must be a JSON schema object")
        if fn.get("strict") and (problems := _strict_schema_problems(params)):
            raise RequestError(f"Invalid schema for function {name!r}: " + "; ".join(problems))
    return names


@dataclass
class OpenAIStub:
    """The server, its script and what it saw. Use as a context manager."""

    script: Script
    requests: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """The URL to give `ChatOpenAI` (``ARGO_OPENAI_BASE_URL``)."""
        assert self._server is not None, "start the stub first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> OpenAIStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append(body)
                if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                    return self._send(401, {"error": {"message": "missing API key"}})
                if self.path.rstrip("/") == "/v1/embeddings":
                    return self._send(200, embeddings(body))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                try:
                    check_request(body)
                except RequestError as exc:
                    stub.errors.append(str(exc))
                    error = {"message": str(exc), "type": "invalid_request_error"}
                    return self._send(400, {"error": error})
                self._send(200, completion(body, stub.script(body)))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """A ``chat.completion`` object carrying ``reply``."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    if isinstance(reply, ToolCall):
        call_id = f"call_{len(json.dumps(body)) % 100000}_{time.monotonic_ns() % 10**6}"
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": reply.name, "arguments": json.dumps(reply.arguments)},
            }
        ]
        finish = "tool_calls"
    else:
        message["content"] = reply.content
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def embeddings(body: dict[str, Any]) -> dict[str, Any]:
    """An ``embeddings`` list: a small deterministic vector per input text."""
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    if any(not isinstance(t, str) for t in texts):
        # token arrays: what a client sends after tokenising locally
        raise_text = "this stub takes text input only (the client tokenised locally)"
        return {"error": {"message": raise_text}}
    dim = int(body.get("dimensions") or 8)
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": [((len(t) + k) % 7) / 7 for k in range(dim)],
        }
        for i, t in enumerate(texts)
    ]
    usage = {"prompt_tokens": 1, "total_tokens": 1}
    return {"object": "list", "data": data, "model": body.get("model", ""), "usage": usage}


def offered_tools(body: dict[str, Any]) -> list[str]:
    """Names of the tools a request offers the model."""
    return [t["function"]["name"] for t in body.get("tools") or []]


def system_text(body: dict[str, Any]) -> str:
    """The request's system (or developer) prompt."""
    return "\n".join(
        str(m.get("content") or "")
        for m in body["messages"]
        if m.get("role") in ("system", "developer")
    )

"""Smoke test of the LLM path: a plan drafted by a model over HTTP.

Run by `tests/unit/test_llm_over_http.py` in the checkout and by
`scripts/wheel_smoke.sh` against an installed wheel (outside the checkout), so
the prompts a wheel ships and the real `ChatOpenAI` client are both exercised.
Configured only through ``ARGO_OPENAI_BASE_URL`` and ``ARGO_LLM_MODEL``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from openai_stub import OpenAIStub, ToolCall, offered_tools, system_text  # noqa: E402

GOAL = "Analyse the orders table and report its slowest queries"
DRAFT = {
    "steps": [
        {
            "id": "profile",
            "action": "profile_query_latency",
            "category": "analysis",
            "description": "Measure which queries on the orders table are slowest.",
            "estimated_cost_usd": 20,
            "required_capabilities": ["data_analysis"],
            "dependencies": [],
        },
        {
            "id": "report",
            "action": "write_latency_report",
            "category": "documentation",
            "description": "Report the slowest queries and why.",
            "estimated_cost_usd": 10,
            "required_capabilities": ["documentation"],
            "dependencies": ["profile"],
        },
    ],
    "rationale": ["measure first, then report"],
}


def run() -> OpenAIStub:
    """Plan ``GOAL`` through the stub; raise AssertionError on anything unexpected."""
    from argo_agents.bootstrap import make_chat_model
    from argo_agents.config import Settings
    from argo_agents.planning.llm import make_plan

    with OpenAIStub(lambda body: ToolCall("PlanDraft", DRAFT)) as stub:
        env = {"ARGO_OPENAI_BASE_URL": stub.base_url, "ARGO_LLM_MODEL": "local-model"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            model = make_chat_model(Settings(_env_file=None))  # type: ignore[call-arg]
            assert model is not None, "ARGO_OPENAI_BASE_URL alone must configure the model"
            plan = make_plan(GOAL, model=model)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    assert stub.errors == [], stub.errors
    assert plan.source == "llm", plan.repair_notes
    assert [s.id for s in plan.steps] == ["profile", "report"]
    (request,) = stub.requests
    assert request["model"] == "local-model"
    assert offered_tools(request) == ["PlanDraft"]
    assert GOAL in system_text(request)  # the packaged prompt was found and rendered
    return stub


if __name__ == "__main__":
    import argo_agents

    run()
    print(f"LLM plan over HTTP: ok (argo_agents from {Path(argo_agents.__file__).parent})")

"""Per-run choices of model and agents (`Context.model`, `Context.agents`).

They let one deployment serve an offline assistant and an LLM one, or a run
limited to some agent kinds, without a second server: the planner and the
agents take the run's model, assignment takes only the allowed kinds, and a
step none of them can take fails with the reason (recorded like any failure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, get_args

from argo_agents.assignment.registry import AgentKind, AgentRegistry
from argo_agents.orchestrator.errors import InvalidContextError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from argo_agents.planning.models import ExecutionPlan
    from argo_agents.services import Services

OFFLINE = "offline"
"""`Context.model` value for the rule-based planner and agents, whatever the deployment has."""
AGENT_KINDS: tuple[str, ...] = get_args(AgentKind)
MAX_MODEL_NAME = 200


def check_run_choices(model: object, agents: object) -> None:
    """Refuse a model name or agent subset no run could use (`InvalidContextError`)."""
    if model is not None and (
        not isinstance(model, str)
        or not model.strip()
        or model != model.strip()
        or len(model) > MAX_MODEL_NAME
        or not model.isprintable()
    ):
        raise InvalidContextError(
            f"model must be '{OFFLINE}' or a model name on the configured endpoint "
            f"(1-{MAX_MODEL_NAME} printable characters); got {model!r}"
        )
    if agents is None:
        return
    if (
        not isinstance(agents, list | tuple)
        or not agents
        or not all(isinstance(a, str) for a in agents)
        or set(agents) - set(AGENT_KINDS)
    ):
        raise InvalidContextError(
            f"agents must be a non-empty list of {', '.join(AGENT_KINDS)}; got {agents!r}"
        )


def services_for_run(services: Services, context: object | None) -> Services:
    """``services`` with the chat model the run's context chose (itself when it chose none).

    A model name needs the deployment's OpenAI-compatible endpoint: without one
    it is refused before anything runs, not silently served offline.
    """
    return services_for_model(services, getattr(context, "model", None))


def services_for_model(services: Services, name: str | None) -> Services:
    """``services`` with the chat model ``name`` (see `services_for_run`; None: as they are)."""
    if name is None:
        return services
    if name == OFFLINE:
        return services.with_model(OFFLINE, lambda: None)
    if not services.settings.llm_configured:
        raise InvalidContextError(
            f"this run asks for model {name!r}, but no OpenAI-compatible endpoint is "
            "configured (set ARGO_OPENAI_BASE_URL or ARGO_OPENAI_API_KEY), or ask for "
            f"model '{OFFLINE}'"
        )
    return services.with_model(name, lambda: chat_model_named(services, name))


def chat_model_named(services: Services, name: str) -> BaseChatModel | None:
    """The deployment's chat client (endpoint, key, timeouts) with another model name."""
    # imported here: the composition root imports this package's users, not the reverse
    from argo_agents.bootstrap import make_chat_model

    return make_chat_model(services.settings.model_copy(update={"llm_model": name}))


def allowed_registry(registry: AgentRegistry, agents: Sequence[str] | None) -> AgentRegistry | None:
    """The agents of the allowed kinds (all when ``agents`` is None; None when none is left)."""
    if agents is None:
        return registry
    kept = [p for p in registry.profiles if p.kind in agents]
    return registry.model_copy(update={"profiles": kept}) if kept else None


def unassignable_steps(
    plan: ExecutionPlan, registry: AgentRegistry | None, agents: Sequence[str] | None
) -> dict[str, str]:
    """Why each step no allowed agent can take fails: none has any capability it needs."""
    if agents is None:
        return {}
    kinds = ", ".join(agents)
    if registry is None:
        why = f"no agent of the kinds this run allows ({kinds}) is registered"
        return {step.id: why for step in plan.steps}
    covered = registry.covered_capabilities()
    return {
        step.id: (
            f"no agent of the kinds this run allows ({kinds}) has any capability it needs "
            f"({', '.join(sorted(step.required_capabilities))})"
        )
        for step in plan.steps
        if step.required_capabilities and not set(step.required_capabilities) & covered
    }

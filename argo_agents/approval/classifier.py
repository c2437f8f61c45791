"""Which sensitive categories a plan step really touches, whatever the planner labelled it.

The approval gate pauses for the Director before gated work, but the category
on a step is the planner's (possibly an LLM's) claim: a deployment labelled
``analysis`` would otherwise run unasked. This classifier derives the sensitive
categories from the step itself, independently of that label.

ARGO's own template steps are recognised exactly (action, category and the
description rendered from the Director's goal), so their fixed wording ("Dry-run
the migration", "Prepare and rehearse a rollback") raises no alarm; only the
goal's words inside them are scanned. Every other step is scanned whole by
generous keyword rules. Conservative by design: a false alarm costs the
Director one click, a miss costs production.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from argo_agents.planning.intents import GATED_INTENTS, ParsedGoal, parse_goal
from argo_agents.planning.models import ExecutionPlan, PlanStep, to_snake_case
from argo_agents.planning.templates import KNOWN_STEPS, StepSpec

# Strictest first: findings are reported in this order.
SENSITIVE: tuple[str, ...] = (
    "data_deletion",
    "production_deployment",
    "data_migration",
    "external_integration",
)
# Categories whose steps only read, think or write prose: they act on nothing.
READ_ONLY: frozenset[str] = frozenset({"analysis", "research", "design", "documentation"})

INTENT_CATEGORY: dict[str, str] = {
    "integrate": "external_integration",
    "migrate": "data_migration",
    "deploy": "production_deployment",
    "delete": "data_deletion",
}
_CAPABILITY_CATEGORY: dict[str, str] = {
    "deployment": "production_deployment",
    "database_migration": "data_migration",
    "integration": "external_integration",
}

# Things whose removal or relocation is the irreversible part.
_DATA = (
    r"(?:data(?:sets?|bases?)?|dbs?|records?|rows?|tables?|users?|accounts?|customers?|"
    r"tenants?|files?|backups?|logs?|index(?:es)?|indices|columns?|collections?|buckets?|"
    r"schemas?|snapshots?|volumes?|entries|documents?|objects?|sessions?|history)"
)
_NEAR = r"\s+(?:[\w'.,/-]+\s+){0,4}?"  # up to four words between a verb and its object

_ASCII_RULES: dict[str, tuple[str, ...]] = {
    "data_deletion": (
        r"delet\w*",
        r"drop(?:s|ped|ping)?(?![- ]?downs?\b)",  # "drop-down menu" is UI, not data
        r"truncat\w*",
        r"purg\w*",
        r"wip(?:e|es|ed|ing)",
        r"eras(?:e|es|ed|er|ing|ure)",
        r"destr(?:oy\w*|uct\w*)",
        r"decommission\w*",
        r"deprovision\w*",
        r"rm\s+-(?:rf|fr|r)",
        r"(?:remov\w*|clean(?:s|ed|ing)?[ -]?up|clear(?:s|ed|ing)?|prun(?:e|es|ed|ing)|"
        r"reset(?:s|ting)?|tear(?:s|ing)?[ -]?down|get(?:ting)? rid of)" + _NEAR + _DATA,
        _DATA + r"[ -](?:clean-?up|removal)",
    ),
    "production_deployment": (
        r"deploy\w*",
        r"releas\w*",
        r"ship(?:s|ped|ping)?",
        r"roll(?:s|ed|ing)?[ -]?outs?",
        r"(?:go(?:es|ing)?|went)[ -]live",
        r"launch\w*",
        r"promot(?:e|es|ed|ing|ion)" + _NEAR + r"to",
        r"publish\w*" + _NEAR + r"(?:to|on)",
        r"cut(?:s|ting)?[ -]?overs?",
        r"prod",
        r"productions?",
        r"live[ -](?:env\w*|traffic|services?|sites?|systems?|servers?|clusters?|"
        r"databases?|db|data|users?|customers?|instances?|endpoints?)",
        r"(?:to|into|on) live",
    ),
    "data_migration": (
        r"migrat\w*",
        r"back-?fill\w*",
        r"re-?shard\w*",
        r"schema[ -](?:change|update|alter\w*)s?",
        r"alter\s+tables?",
        r"etl",
        r"(?:mov(?:e|es|ed|ing)|cop(?:y|ies|ied|ying)|transfer\w*|export\w*|import\w*|"
        r"replicat\w*|sync\w*)" + _NEAR + _DATA,
        _DATA + r"[ -](?:moves?|copy|transfers?|exports?|imports?|sync)",
    ),
    "external_integration": (
        r"integrat\w*",
        r"external\w*",
        r"third[- ]?part(?:y|ies)",
        r"webhooks?",
        r"vendors?",
        r"partner\s+apis?",
        r"oauth\w*",
        r"api[- ]?keys?",
        r"connect(?:s|ed|ing|ion)?\s+(?:to|with)",
        r"paid\s+apis?",
        r"saas",
        r"stripe|slack|salesforce|twilio|sendgrid|paypal|github|jira|zendesk|hubspot|shopify",
        r"mailchimp|openai|aws|gcp|azure|s3",
        r"send(?:s|ing)?" + _NEAR + r"(?:e-?mails?|sms|texts?|notifications?|messages?)",
    ),
}
# Hangul has no word boundaries ("배포해줘"), so these match anywhere.
_KOREAN_RULES: dict[str, tuple[str, ...]] = {
    "data_deletion": ("삭제",),
    "production_deployment": ("배포", "프로덕션", r"운영\s?(?:환경|서버)"),
    "data_migration": ("마이그레이션", "이관"),
    "external_integration": ("연동",),
}
_RULES: dict[str, re.Pattern[str]] = {
    cat: re.compile(
        r"\b(?:" + "|".join(_ASCII_RULES[cat]) + r")\b|" + "|".join(_KOREAN_RULES[cat]),
        re.IGNORECASE,
    )
    for cat in SENSITIVE
}


class Finding(BaseModel):
    """One sensitive category a step touches, with the first evidence seen for it."""

    model_config = ConfigDict(frozen=True)

    category: str
    evidence: str


def _scan(text: str, where: str, skip: frozenset[str] = frozenset()) -> list[Finding]:
    found = []
    for cat in SENSITIVE:
        if cat not in skip and (m := _RULES[cat].search(text)):
            found.append(Finding(category=cat, evidence=f"'{m.group(0)}' in {where}"))
    return found


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Strictest first, keeping the first evidence of each category."""
    first: dict[str, Finding] = {}
    for f in findings:
        first.setdefault(f.category, f)
    rank = {cat: i for i, cat in enumerate(SENSITIVE)}
    return sorted(first.values(), key=lambda f: rank.get(f.category, len(rank)))


def gated_intents(goal: ParsedGoal) -> list[str]:
    """The gated intents the goal names, main intent first."""
    return [i for i in dict.fromkeys([goal.intent, *goal.extra_intents]) if i in GATED_INTENTS]


def _known_step(step: PlanStep, goal: ParsedGoal) -> tuple[StepSpec, list[tuple[str, str]]] | None:
    """The template a step was rendered from, and the goal's words in it; None if not one."""
    spec = KNOWN_STEPS.get(step.action)
    if spec is None or spec.category != step.category:
        return None
    words: list[tuple[str, str]] = []
    for subject in dict.fromkeys([goal.subject, *goal.extra_subjects.values()]):
        for target in dict.fromkeys([goal.target, None]):
            text = spec.description.format(
                subject=subject, target=f" (target: {target})" if target else ""
            )
            suffixed = f"{text} (for {goal.subject})"
            if step.description in (text, suffixed):
                words.append((subject, "the goal's subject"))
                if target:
                    words.append((target, "the goal's target"))
                if step.description == suffixed:
                    words.append((goal.subject, "the goal's subject"))
    return (spec, words) if words else None


def classify_step(step: PlanStep, goal: ParsedGoal) -> list[Finding]:
    """Sensitive categories the step's own action, description and capabilities show.

    Strictest first, one Finding per category (its first evidence).
    """
    found: list[Finding] = []
    known = _known_step(step, goal)
    if known is not None:
        spec, words = known
        if spec.category in SENSITIVE:
            found.append(Finding(category=spec.category, evidence=f"ARGO's {spec.action} step"))
        if spec.category not in READ_ONLY:
            # The goal's own gated intents name their object ("Integrate *Stripe*"); doing
            # it is the template's gated step's job, or the goal-level rule's if it is gone.
            asked = frozenset(INTENT_CATEGORY[i] for i in gated_intents(goal))
            for text, where in words:
                found += _scan(text, where, skip=asked)
        capabilities = [c for c in step.required_capabilities if c not in spec.capabilities]
    else:
        found += _scan(to_snake_case(step.action).replace("_", " "), "the action")
        found += _scan(step.description, "the description")
        capabilities = list(step.required_capabilities)
    for cap in capabilities:
        if cat := _CAPABILITY_CATEGORY.get(cap):
            found.append(Finding(category=cat, evidence=f"capability '{cap}'"))
        else:
            found += _scan(cap.replace("_", " "), f"capability '{cap}'")
    if known is None and step.category in SENSITIVE:
        found.append(
            Finding(category=step.category, evidence=f"labelled {step.category} by the planner")
        )
    return _ordered(found)


def classify_plan(plan: ExecutionPlan, goal: str) -> dict[str, list[Finding]]:
    """Findings for every step id (empty list when none), including the goal-level rule.

    A gated act the goal asks for that no step is identified as doing must be
    hidden somewhere: every step that acts (category not read-only; every step
    if none acts) is then flagged with it.
    """
    parsed = parse_goal(goal)
    findings: dict[str, list[Finding]] = {}
    for step in plan.steps:
        findings[step.id] = _ordered([*findings.get(step.id, []), *classify_step(step, parsed)])
    seen = {f.category for fs in findings.values() for f in fs}
    acting = [s.id for s in plan.steps if s.category not in READ_ONLY] or plan.step_ids()
    for intent in gated_intents(parsed):
        category = INTENT_CATEGORY[intent]
        if category in seen:
            continue
        missing = Finding(
            category=category,
            evidence=f"the goal asks to {intent} and no step is identified as doing it",
        )
        for sid in acting:
            findings[sid] = _ordered([*findings[sid], missing])
    return findings

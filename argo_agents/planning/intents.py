"""Reading a Director's goal without an LLM: its intent, its subject and its target.

The offline planner must still produce a specific plan ("profile the checkout
service's query latency", not "do the task"), so the goal is parsed by keyword
rules: the earliest intent keyword decides the plan template, and gated intents
named later in the goal ("... and deploy it to production") are kept as
``extra_intents`` so their approval-gated steps are never silently dropped.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

Intent = Literal[
    "optimize", "research", "build", "integrate", "migrate", "deploy", "delete", "general"
]

# Intents whose plans contain a step the Director must approve.
GATED_INTENTS: frozenset[str] = frozenset({"integrate", "migrate", "deploy", "delete"})

# Order matters only for keywords starting at the same position.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "optimize": (
        r"optimi[sz](?:e|es|ed|ing|ation)",
        r"speed(?:s|ing)? up",
        r"tun(?:e|es|ing)",
        "최적화",
        "성능 개선",
    ),
    "deploy": (
        r"deploy(?:s|ed|ing|ment)?",
        r"releas(?:e|es|ing)",
        r"ship(?:s|ping)? (?:\S+ )*?to production",
        r"roll(?:s|ing)? out",
        r"go live",
        "배포",
    ),
    "delete": (
        r"delet(?:e|es|ing|ion)",
        r"purg(?:e|es|ing)",
        r"clean(?:s|ing)?[ -]?up",
        r"drop(?:s|ping)?",
        r"eras(?:e|es|ing)",
        r"wip(?:e|es|ing)",
        "삭제",
    ),
    "migrate": (r"migrat(?:e|es|ing|ion)", "마이그레이션", "이관"),
    "integrate": (
        r"integrat(?:e|es|ing|ion)",
        r"connect(?:s|ing)?",
        r"external api",
        r"webhooks?",
        r"third[- ]party",
        "연동",
    ),
    "build": (
        r"build(?:s|ing)?",
        r"implement(?:s|ing)?",
        r"creat(?:e|es|ing)",
        r"develop(?:s|ing)?",
        "구현",
        "개발",
    ),
    "research": (
        r"research(?:es|ing)?",
        r"analy[sz](?:e|es|ing|is)",
        r"investigat(?:e|es|ing)",
        r"compar(?:e|es|ing)",
        r"evaluat(?:e|es|ing)",
        "연구",
        "분석",
        "조사",
        "비교",
    ),
}


def _compile(pattern: str) -> re.Pattern[str]:
    # Hangul has no word boundaries the way English does ("최적화해줘").
    if pattern[0].isascii():
        return re.compile(rf"\b{pattern}\b", re.IGNORECASE)
    return re.compile(pattern)


_RULES: list[tuple[str, re.Pattern[str]]] = [
    (intent, _compile(p)) for intent, patterns in _KEYWORDS.items() for p in patterns
]

_TARGET = re.compile(
    r"\s*\b(?:by|to|under|below|within|at least)\s+"
    r"(\d+(?:[.,]\d+)?\s*(?:%|percent\b|x\b|times\b|ms\b|seconds?\b|s\b))",
    re.IGNORECASE,
)
_BARE_PERCENT = re.compile(r"\s*(\d+(?:\.\d+)?\s*%)")
_BUDGET = re.compile(
    r"\s*\b(?:with|on|within|for)\s+(?:a|an)?\s*\$\s?[\d,]+(?:\.\d+)?\s*(?:usd\s*)?budget\b",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(?:please|kindly|we need to|we want to|i want to|i need to|let's|lets|can you|help me|"
    r"could you|try to|go and)\s+",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"(?:\band|\bthen|[,;])\s+(?:also\s+)?$", re.IGNORECASE)
_PRONOUNS = frozenset({"it", "them", "this", "that", "these", "those", "the result", "the results"})
_TRAILING_DEPLOY = re.compile(r"\s+(?:to|into|in|on)\s+(?:production|prod)\b.*$", re.IGNORECASE)
_KOREAN_ENDING = re.compile(r"(?:해\s?주세요|해\s?줘|하기|하라|하세요|합니다|해라|하자)\s*$")
_KOREAN_PARTICLE = re.compile(r"(?<=\S)(?:을|를|의)\s*$")


class ParsedGoal(BaseModel):
    """What the keyword rules read from a goal."""

    intent: Intent
    matched_keyword: str | None
    subject: str
    target: str | None = None
    extra_intents: list[Intent] = []
    # The object of each extra intent's own clause ("obsolete test accounts").
    extra_subjects: dict[str, str] = {}


def _matches(goal: str) -> list[tuple[int, int, str, str]]:
    """Every (start, rule order, intent, text) keyword match, earliest first."""
    found = []
    for order, (intent, rx) in enumerate(_RULES):
        for m in rx.finditer(goal):
            found.append((m.start(), order, intent, m.group(0)))
    return sorted(found)


# Verbs stripped from the front of a goal to leave its subject. Nouns that
# signal an intent ("webhook", "third-party") stay: they are part of the subject.
_LEAD_VERBS = (
    r"optimi[sz]e|speed up|tune|deploy|release|ship|roll out|delete|purge|clean[ -]?up|drop"
    r"|erase|wipe|migrate|integrate|connect|build|implement|create|develop|research"
    r"|analy[sz]e|investigate|compare|evaluate"
)
_LEAD = re.compile(
    rf"^(?:(?:{_LEAD_VERBS})\b(?:\s*,\s*|\s+and\s+|\s+then\s+|\s+)?)+", re.IGNORECASE
)
# "... and deploy it to production": a second clause with its own verb.
_NEXT_CLAUSE = re.compile(
    rf"\s*(?:,\s*(?:and\s+|then\s+)?|\s+and\s+(?:then\s+)?|\s+then\s+)(?:also\s+)?"
    rf"(?:{_LEAD_VERBS})\b",
    re.IGNORECASE,
)


def extract_subject(goal: str) -> tuple[str, str | None]:
    """The goal's object and its numeric target, e.g. ("the checkout service's ...", "40%")."""
    text = " ".join(goal.split()).rstrip(" .!?")
    target = None
    if m := _TARGET.search(text) or _BARE_PERCENT.search(text):
        target = m.group(1).replace(" ", "")
        text = (text[: m.start()] + text[m.end() :]).strip()
    text = _BUDGET.sub("", text).strip()
    text = _FILLER.sub("", text)
    text = _LEAD.sub("", text).strip()
    if m := _NEXT_CLAUSE.search(text):
        text = text[: m.start()]
    text = _TRAILING_DEPLOY.sub("", text).strip(" ,;:")
    if not text.isascii():
        # Korean puts the verb last: "체크아웃 서비스 지연을 최적화해줘".
        for _, rx in _RULES:
            if not rx.pattern[0].isascii():
                text = rx.sub(" ", text)
        text = _KOREAN_PARTICLE.sub("", _KOREAN_ENDING.sub("", " ".join(text.split()))).strip()
    return (text or " ".join(goal.split())), target


def parse_goal(goal: str) -> ParsedGoal:
    """Intent by the earliest keyword (``general`` if none), plus subject and target."""
    if not goal.strip():
        raise ValueError("goal is empty: describe what the Director wants done")
    matches = _matches(goal)
    subject, target = extract_subject(goal)
    if not matches:
        return ParsedGoal(intent="general", matched_keyword=None, subject=subject, target=target)
    _, _, intent, keyword = matches[0]
    extras: list[str] = []
    extra_subjects: dict[str, str] = {}
    for start, _, other, word in matches[1:]:
        # An English keyword counts only as the verb of a new clause ("... and
        # delete X"), so "research the release process" does not gain a deployment.
        opens_clause = not word.isascii() or _CLAUSE_START.search(goal[:start])
        if other in GATED_INTENTS and other != intent and other not in extras and opens_clause:
            extras.append(other)
            clause, _ = extract_subject(goal[start:])
            extra_subjects[other] = subject if clause.casefold() in _PRONOUNS else clause
    return ParsedGoal(
        intent=intent,  # type: ignore[arg-type]
        matched_keyword=keyword,
        subject=subject,
        target=target,
        extra_intents=extras,  # type: ignore[arg-type]
        extra_subjects=extra_subjects,
    )

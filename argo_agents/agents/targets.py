"""A goal's numeric target ("by 40%", "2x", "under 200ms") turned into an acceptance check.

Validation steps cannot measure anything offline, but they can say exactly
what "done" means for this goal, so the Director (or a benchmark) can check it.
"""

from __future__ import annotations

import re

from argo_agents.agents.lenses import mentions

_HIGHER_IS_BETTER = (
    "throughput",
    "rps",
    "qps",
    "hit rate",
    "coverage",
    "conversion",
    "accuracy",
    "uptime",
    "availability",
    "revenue",
    "score",
)
_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)\s*(%|(?:percent|x|times|ms|seconds?|s)\b)", re.I)


def higher_is_better(text: str) -> bool:
    """True when the subject names a metric that should go up (throughput, hit rate...)."""
    return any(mentions(text, w) for w in _HIGHER_IS_BETTER)


def acceptance_criterion(target: str, subject: str) -> str:
    """What the measured result must show for ``target``, in words a benchmark can check."""
    m = _NUMBER.search(target)
    if not m:
        return f"{subject} meets the stated target ({target})"
    value, unit = float(m.group(1).replace(",", ".")), m.group(2).lower()
    up = higher_is_better(subject)
    if unit in ("%", "percent"):
        factor = 1 + value / 100 if up else 1 - value / 100
        relation = "≥" if up else "≤"
        return (
            f"{subject} after the change {relation} {factor:.2f} × baseline "
            f"(a {value:g}% {'increase' if up else 'reduction'}), same load profile"
        )
    if unit in ("x", "times"):
        return (
            f"{subject} after the change {'≥' if up else '≤'} "
            f"{'' if up else '1/'}{value:g} × baseline, same load profile"
        )
    limit = f"{value:g} ms" if unit == "ms" else f"{value:g} s"
    return f"p95 of {subject} ≤ {limit} under the agreed load profile"


def mentions_target(text: str, target: str) -> bool:
    """True when ``text`` names the target's number (e.g. "40" for "40%")."""
    m = _NUMBER.search(target)
    number = m.group(1) if m else target
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text) is not None

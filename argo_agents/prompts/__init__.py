"""Loading and rendering the LLM prompt texts: the ``*.md`` files of this package.

Prompts are text files so they can be reviewed and edited without touching
code. They are package data (read with `importlib.resources`), so an
installed wheel carries them; the top-level ``prompts`` link points here.
`load_prompt` is the one function that finds them, and rendering
refuses a prompt whose placeholders do not match what the caller passes, so a
renamed placeholder fails a test instead of silently sending "{goal}" to a model.
"""

from __future__ import annotations

import string
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

PROMPTS_DIR: Traversable = files(__name__)


class PromptRenderError(ValueError):
    """The values passed to a prompt do not match its placeholders."""

    def __init__(self, name: str, missing: set[str], extra: set[str], expected: set[str]) -> None:
        self.name, self.missing, self.extra, self.expected = name, missing, extra, expected
        parts = []
        if missing:
            parts.append(f"missing values for {sorted(missing)}")
        if extra:
            parts.append(f"values for unknown placeholders {sorted(extra)}")
        super().__init__(
            f"prompt {name!r}: " + " and ".join(parts) + f"; pass exactly {sorted(expected)} "
            "or edit the placeholders in the prompt file"
        )


def _path(name: str) -> Traversable:
    if not name or Path(name).name != name or name.startswith("."):
        raise ValueError(f"prompt name {name!r} must be a bare file stem such as 'plan'")
    return PROMPTS_DIR / f"{name}.md"


def prompt_names() -> list[str]:
    """Every prompt this package ships, by name."""
    return sorted(
        p.name.removesuffix(".md") for p in PROMPTS_DIR.iterdir() if p.name.endswith(".md")
    )


def load_prompt(name: str) -> str:
    """The text of the prompt ``<name>.md``."""
    path = _path(name)
    if not path.is_file():
        available = prompt_names()
        raise FileNotFoundError(
            f"no prompt {name!r}: {path} does not exist; prompts are read from "
            f"{PROMPTS_DIR} (available: {available or 'none'})"
        )
    return path.read_text(encoding="utf-8")


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholder}`` fields in ``text``; ``{{`` and ``}}`` are literal braces."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(text):
        if field is None:
            continue
        # "{step.id}" or "{steps[0]}" still needs the value "step" / "steps".
        root = field.split(".", 1)[0].split("[", 1)[0]
        if not root or root.isdigit():
            raise ValueError(f"positional placeholder {{{field}}} in a prompt; name it")
        names.add(root)
    return names


def render_prompt(name: str, **values: object) -> str:
    """The prompt ``<name>.md`` with its placeholders filled; exactly these values are allowed."""
    text = load_prompt(name)
    wanted = placeholders(text)
    missing, extra = wanted - values.keys(), values.keys() - wanted
    if missing or extra:
        raise PromptRenderError(name, set(missing), set(extra), wanted)
    return text.format(**values)

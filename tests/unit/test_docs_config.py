"""Every variable a user can set is explained in the README."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_of_env_example_is_in_the_readme_configuration() -> None:
    env = (ROOT / ".env.example").read_text()
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", env, re.M))
    readme = (ROOT / "README.md").read_text()
    assert names, ".env.example lists the variables"
    assert sorted(n for n in names if n not in readme) == []


def test_every_setting_is_in_env_example() -> None:
    from argo_agents.config import Settings

    env = (ROOT / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        if field.annotation is not None and "CacheTTL" in str(field.annotation):
            continue  # nested: ARGO_CACHE_TTL__<TYPE>, listed one by one
        assert f"ARGO_{name.upper()}" in env, f"ARGO_{name.upper()} is not in .env.example"

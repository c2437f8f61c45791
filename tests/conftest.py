"""Shared fixtures: one local stack of real servers per test session, on free ports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from argo_agents.config import Settings
from argo_agents.config.endpoints import Endpoints
from argo_agents.local_stack import LocalStack

# Tests never read a developer's .env or ARGO_* variables: each builds its own settings.
for _key in [k for k in os.environ if k.startswith("ARGO_") or k.startswith("OPENAI_")]:
    del os.environ[_key]


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings that ignore any .env file and point at ``data_dir``."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("argo-stack"))


@pytest.fixture(scope="session")
def stack(stack_settings: Settings) -> Iterator[LocalStack]:
    """All four real servers, started once for the session and stopped after it."""
    local = LocalStack(stack_settings)
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="session")
def endpoints(stack: LocalStack) -> Endpoints:
    return stack.endpoints()

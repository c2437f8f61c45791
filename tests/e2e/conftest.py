"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner


@pytest.fixture()
def cli_env(stack, monkeypatch):
    """The CLI reads settings from the environment: point it at the session stack, with an
    outbox namespace of its own."""
    monkeypatch.setenv("ARGO_DATA_DIR", str(stack.settings.data_dir))
    monkeypatch.setenv("ARGO_SYNC_NAMESPACE", f"cli:{uuid.uuid4().hex[:8]}")
    return CliRunner()

"""The local stack's own environment: where it is, and the typed error when it is not ready.

`argo stack up` installs nothing at run time: without the environment that holds
bqemulator it must stop before starting any server and say what to run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from argo_agents.cli.stack_commands import stack_app
from argo_agents.local_stack import LocalStack
from argo_agents.local_stack.errors import StackEnvInstallError, StackEnvMissingError
from argo_agents.local_stack.stack_env import STAMP, StackEnv, requirements_digest
from tests.conftest import make_settings


def test_the_environment_lives_in_argos_venv_unless_a_directory_is_set(tmp_path) -> None:
    assert sys.prefix != sys.base_prefix, "the tests run from a virtual environment"
    default = StackEnv.from_settings(make_settings(tmp_path))
    assert default.path == Path(sys.prefix) / "argo-stack-env"
    chosen = StackEnv.from_settings(make_settings(tmp_path, stack_env_dir=tmp_path / "env"))
    assert chosen.path == tmp_path / "env"
    assert chosen.python == tmp_path / "env" / "bin" / "python"


def test_stack_up_without_the_environment_names_the_install_command_and_starts_nothing(
    tmp_path,
) -> None:
    stack = LocalStack(make_settings(tmp_path / "data", stack_env_dir=tmp_path / "absent"))
    with pytest.raises(StackEnvMissingError) as err:
        stack.up()
    text = str(err.value)
    assert "argo stack install" in text and str(tmp_path / "absent") in text
    assert "does not exist" in text
    assert stack.not_running() == ["redis", "neo4j", "bigquery", "chroma"]
    assert not list((tmp_path / "data").rglob("*.pid"))  # no server was launched


def test_an_environment_made_for_other_pins_is_refused_as_outdated(tmp_path) -> None:
    env = StackEnv(tmp_path / "env")
    (env.python.parent).mkdir(parents=True)
    env.python.symlink_to(sys.executable)
    assert "incomplete" in (env.problem() or "")  # no stamp: an install that stopped halfway
    (env.path / STAMP).write_text(json.dumps({"requirements_sha256": "0" * 64}))
    with pytest.raises(StackEnvMissingError, match="other versions.*argo stack install"):
        env.python_or_raise()
    (env.path / STAMP).write_text(json.dumps({"requirements_sha256": requirements_digest()}))
    assert env.python_or_raise() == str(env.python)


def test_cli_stack_up_exits_2_with_the_fix_and_status_shows_it(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of a checkout
    env = {"ARGO_DATA_DIR": str(tmp_path / "data"), "ARGO_STACK_ENV_DIR": str(tmp_path / "no")}
    runner = CliRunner()
    up = runner.invoke(stack_app, ["up"], env=env)
    assert up.exit_code == 2
    assert "argo stack install" in " ".join(up.output.split())
    status = runner.invoke(stack_app, ["status", "--json"], env=env)
    assert status.exit_code == 1
    rows = {row["name"]: row for row in map(json.loads, status.output.splitlines())}
    assert "argo stack install" in rows["bigquery"]["detail"]
    assert rows["redis"]["detail"] == "not started"


def test_a_failed_install_reports_pips_reason_and_leaves_the_environment_not_ready(
    tmp_path,
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("this is not a requirement !!\n")  # pip refuses it offline
    env = StackEnv(tmp_path / "env", requirements=requirements)
    said: list[str] = []
    with pytest.raises(StackEnvInstallError, match="pip install.*exit") as err:
        env.install(say=said.append)
    assert "requirement" in str(err.value).lower()  # pip's own words, not a bare failure
    assert env.python.exists()  # the venv was made...
    assert env.problem() is not None  # ...but is not taken as ready
    with pytest.raises(StackEnvMissingError):
        env.python_or_raise()

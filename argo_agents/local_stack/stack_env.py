"""The local stack's own virtual environment: where it is, whether it is ready, how to make it.

bqemulator pins grpcio-health-checking below 1.81, which would cap langgraph-api
in ARGO's environment; so the emulator and its DuckDB pins
(`stack-requirements.txt`) live in a virtual environment of their own, and the
BigQuery server runs under its interpreter. It is made by an explicit install
step, `argo stack install` (`make install` runs it); `argo stack up` never
installs anything: a missing or outdated environment is a `StackEnvMissingError`
that says what to run.

Where: `ARGO_STACK_ENV_DIR` when set; else `argo-stack-env` inside the virtual
environment ARGO runs from (it belongs to that installation and goes with it);
else, outside any virtual environment, `<ARGO_DATA_DIR>/stack-env`.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argo_agents.config import Settings
from argo_agents.local_stack.errors import StackEnvInstallError, StackEnvMissingError

REQUIREMENTS = Path(__file__).with_name("stack-requirements.txt")
EXTENSIONS_SCRIPT = Path(__file__).with_name("duckdb_extensions.py")
STAMP = "argo-stack-env.json"  # written last by a successful install
INSTALL_TIMEOUT_S = 1800.0


def requirements_digest(requirements: Path = REQUIREMENTS) -> str:
    """SHA-256 of the requirements file: an environment made from other pins is outdated."""
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def default_env_dir(settings: Settings) -> Path:
    """Where the environment goes when `ARGO_STACK_ENV_DIR` is not set."""
    if sys.prefix != sys.base_prefix:  # running from a virtual environment
        return Path(sys.prefix) / "argo-stack-env"
    return settings.data_dir / "stack-env"


@dataclass(frozen=True)
class StackEnv:
    """One local-stack environment at ``path``, made from ``requirements``."""

    path: Path
    requirements: Path = REQUIREMENTS

    @classmethod
    def from_settings(cls, settings: Settings) -> StackEnv:
        """The environment the settings choose (see the module docstring)."""
        return cls(settings.stack_env_dir or default_env_dir(settings))

    @property
    def python(self) -> Path:
        """The environment's interpreter (POSIX layout: the stack runs on Linux and macOS)."""
        return self.path / "bin" / "python"

    def problem(self) -> str | None:
        """Why the environment cannot serve, or None when it is ready."""
        if not self.python.exists():
            return f"the local stack's environment {self.path} does not exist"
        try:
            stamp = json.loads((self.path / STAMP).read_text())
        except (OSError, ValueError):
            return f"the local stack's environment {self.path} is incomplete"
        if stamp.get("requirements_sha256") != requirements_digest(self.requirements):
            return f"the local stack's environment {self.path} was made for other versions"
        return None

    def python_or_raise(self) -> str:
        """The interpreter to run the BigQuery emulator with, or a typed error saying the fix."""
        problem = self.problem()
        if problem is not None:
            raise StackEnvMissingError(
                f"{problem}: run `argo stack install` (or `make install` in a checkout) "
                "to make it; `argo stack up` installs nothing"
            )
        return str(self.python)

    def install(self, *, force: bool = False, say: Callable[[str], None] = print) -> bool:
        """Make or update the environment; return False when it was ready already."""
        if not force and self.problem() is None:
            say(f"local stack environment ready: {self.path}")
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        (self.path / STAMP).unlink(missing_ok=True)  # outdated until every step passed
        if not self.python.exists():
            say(f"creating the local stack environment {self.path}")
            self._run([sys.executable, "-m", "venv", str(self.path)], "creating the venv")
        say("installing bqemulator and DuckDB into it (pip)")
        pip = [str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        self._run([*pip, "-r", str(self.requirements)], "pip install")
        # The emulator cannot download DuckDB's extensions at run time: install them now
        # from their wheels, which also proves the environment can import what it needs.
        self._run([str(self.python), "-I", str(EXTENSIONS_SCRIPT)], "DuckDB extensions")
        stamp = {"requirements_sha256": requirements_digest(self.requirements)}
        (self.path / STAMP).write_text(json.dumps(stamp))
        say(f"local stack environment ready: {self.path}")
        return True

    def _run(self, argv: list[str], what: str) -> None:
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StackEnvInstallError(f"{what} for {self.path} failed: {exc}") from exc
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise StackEnvInstallError(
                f"{what} for {self.path} failed (exit {done.returncode}):\n{tail}"
            )

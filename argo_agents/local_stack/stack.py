"""`argo stack up | down | status`: the four real servers, on loopback, under one dir.

`up` is idempotent (a healthy server is reused, a dead one restarted on its
port with its data), starts servers in parallel and, if any fails, stops what
this call started so nothing is orphaned. `down` stops only what `up`
started. A store whose ARGO_* variable points at an external service is never
started. State (ports, PIDs) lives in `<data_dir>/stack/state.json`; secrets
in `<data_dir>/stack/secrets.json` (mode 0600).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from argo_agents.config import Settings
from argo_agents.config.endpoints import Endpoints
from argo_agents.local_stack import servers
from argo_agents.local_stack.errors import PortBusyError, ServerStartError, StackError
from argo_agents.local_stack.processes import free_port, pid_alive, port_in_use, terminate
from argo_agents.local_stack.stack_env import StackEnv

log = logging.getLogger(__name__)

START_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class ServerStatus:
    """What `status` reports for one store."""

    name: str
    address: str
    managed: bool  # started by this stack (False: external service)
    pid: int | None
    healthy: bool
    detail: str


class LocalStack:
    """The embedded local stack rooted at ``settings.stack_dir``."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.root = self.settings.stack_dir
        self.state_path = self.root / "state.json"
        self.secrets_path = self.root / "secrets.json"

    # ---- which stores this stack serves -------------------------------------------
    def managed_names(self) -> list[str]:
        """Stores not pointed at an external service by the environment."""
        s = self.settings
        external = {
            "redis": s.redis_url is not None,
            "neo4j": s.neo4j_uri is not None,
            "bigquery": s.bigquery_endpoint is not None,
            "chroma": s.chroma_host is not None,
        }
        return [n for n in servers.SERVER_NAMES if not external[n]]

    def not_running(self) -> list[str]:
        """Managed servers without a live process (what `up` would start)."""
        state = self._read_state()
        return [n for n in self.managed_names() if not pid_alive(state.get(n, {}).get("pid"))]

    # ---- state files ---------------------------------------------------------------
    def _read_state(self) -> dict[str, dict]:
        if self.state_path.exists():
            return json.loads(self.state_path.read_text())
        return {}

    def _write_state(self, state: dict[str, dict]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
        tmp.replace(self.state_path)

    def _secrets(self) -> dict[str, str]:
        """Per-directory passwords, generated once, readable by the owner only."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.secrets_path.exists():
            return json.loads(self.secrets_path.read_text())
        values = {
            "redis_password": secrets.token_urlsafe(24),
            "arcadedb_root_password": secrets.token_urlsafe(24),
        }
        fd = os.open(self.secrets_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(values, f)
        return values

    # ---- specs ---------------------------------------------------------------------
    def _port(self, fixed: int, previous: int | None) -> int:
        if fixed:
            return fixed
        if previous and not port_in_use(previous):
            return previous  # keep a restarted server where clients expect it
        return free_port()

    def _spec(self, name: str, previous: dict) -> servers.ServerSpec:
        s, sec = self.settings, self._secrets()
        prev_ports = previous.get("ports", {})
        if name == "redis":
            return servers.redis_spec(
                self.root,
                self._port(s.stack_redis_port, prev_ports.get("main")),
                sec["redis_password"],
            )
        if name == "neo4j":
            return servers.arcadedb_spec(
                self.root,
                self._port(s.stack_bolt_port, prev_ports.get("main")),
                self._port(s.stack_arcadedb_http_port, prev_ports.get("http")),
                s.neo4j_database,
                self.secrets_path,
            )
        if name == "bigquery":
            python = StackEnv.from_settings(s).python_or_raise()  # fails before any launch
            return servers.bqemulator_spec(
                self.root,
                self._port(s.stack_bigquery_port, prev_ports.get("main")),
                self._port(0, prev_ports.get("grpc")),
                s.bigquery_project,
                python,
            )
        if name == "chroma":
            return servers.chroma_spec(
                self.root, self._port(s.stack_chroma_port, prev_ports.get("main"))
            )
        raise StackError(f"unknown server {name!r}; choose from {servers.SERVER_NAMES}")

    # ---- endpoints -----------------------------------------------------------------
    def endpoints(self, *, strict: bool = True) -> Endpoints:
        """Where each store is: external settings win, else this stack's servers.

        ``strict=False`` gives port 0 for a local server that is not running
        (used while starting a subset of the stack).
        """
        s, state = self.settings, self._read_state()
        sec = self._secrets() if any(n in state for n in ("redis", "neo4j")) else {}

        def port(name: str) -> int:
            if name not in state:
                if not strict:
                    return 0
                raise StackError(
                    f"the local {name} server is not running: run `argo stack up` "
                    f"(or set its ARGO_* variable to an external service)"
                )
            return int(state[name]["ports"]["main"])

        if s.redis_url:
            redis_url = s.redis_url
        else:
            redis_port = port("redis")
            redis_url = f"redis://:{sec.get('redis_password', '')}@127.0.0.1:{redis_port}/0"
        if s.neo4j_uri:
            neo4j_uri, user = s.neo4j_uri, s.neo4j_user
            pw = s.neo4j_password.get_secret_value() if s.neo4j_password else ""
        else:
            neo4j_uri, user = f"bolt://127.0.0.1:{port('neo4j')}", "root"
            pw = sec.get("arcadedb_root_password", "")
        bq_endpoint = s.bigquery_endpoint or f"http://127.0.0.1:{port('bigquery')}"
        chroma_host = s.chroma_host or "127.0.0.1"
        chroma_port = s.chroma_port if s.chroma_host else port("chroma")
        return Endpoints(
            redis_url=redis_url,
            neo4j_uri=neo4j_uri,
            neo4j_user=user,
            neo4j_password=pw,
            neo4j_database=s.neo4j_database,
            bigquery_project=s.bigquery_project,
            bigquery_dataset=s.bigquery_dataset,
            bigquery_location=s.bigquery_location,
            bigquery_endpoint=bq_endpoint,
            chroma_host=chroma_host,
            chroma_port=chroma_port,
            chroma_ssl=s.chroma_ssl,
            timeout_s=s.store_timeout_s,
        )

    # ---- up / down / status ---------------------------------------------------------
    def up(
        self, only: Iterable[str] | None = None, progress: Callable[[str], None] | None = None
    ) -> Endpoints:
        """Start every managed server that is not already healthy; return endpoints."""
        say = progress or (lambda msg: log.info(msg))
        names = [n for n in self.managed_names() if only is None or n in set(only)]
        state = self._read_state()
        to_start: list[servers.ServerSpec] = []
        for name in names:
            entry = state.get(name)
            if entry and pid_alive(entry.get("pid")):
                say(f"{name}: already running (pid {entry['pid']})")
                continue
            spec = self._spec(name, entry or {})
            for port in spec.ports.values():
                if port_in_use(port):
                    raise PortBusyError(
                        f"{name}: port {port} on 127.0.0.1 is busy; free it or choose another "
                        f"with ARGO_STACK_*_PORT (0 picks a free one)"
                    )
            to_start.append(spec)
        started: dict[str, subprocess.Popen] = {}
        t0 = time.monotonic()
        try:
            for spec in to_start:
                started[spec.name] = self._launch(spec)
                state[spec.name] = {
                    "pid": started[spec.name].pid,
                    "ports": spec.ports,
                    "log": str(self._log_path(spec.name)),
                }
            self._write_state(state)
            endpoints = self.endpoints(strict=only is None)
            with ThreadPoolExecutor(max(1, len(to_start))) as pool:
                list(
                    pool.map(lambda s: self._wait_healthy(s, started[s.name], endpoints), to_start)
                )
        except BaseException:
            for name, proc in started.items():
                terminate(proc.pid)
                state.pop(name, None)
            self._write_state(state)
            raise
        if to_start:
            say(f"started {', '.join(s.name for s in to_start)} in {time.monotonic() - t0:.1f}s")
        return self.endpoints(strict=only is None)

    def _log_path(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"

    def _launch(self, spec: servers.ServerSpec) -> subprocess.Popen:
        spec.data_dir.mkdir(parents=True, exist_ok=True)
        for fname, content in spec.files.items():
            path = spec.data_dir / fname
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(content)
        logfile = self._log_path(spec.name)
        logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(logfile, "ab") as out:
            proc = subprocess.Popen(
                spec.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=spec.data_dir,
                start_new_session=True,  # its own group: `down` kills all
            )
        (self.root / f"{spec.name}.pid").write_text(str(proc.pid))
        return proc

    def _wait_healthy(
        self, spec: servers.ServerSpec, proc: subprocess.Popen, endpoints: Endpoints
    ) -> None:
        from argo_agents.stores.factory import check_health

        deadline = time.monotonic() + START_TIMEOUT_S
        last = "no answer yet"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ServerStartError(
                    f"{spec.name} exited with code {proc.returncode} while starting; "
                    f"see {self._log_path(spec.name)}:\n{_tail(self._log_path(spec.name))}"
                )
            if port_in_use(spec.port):
                try:
                    check_health(spec.name, endpoints)
                    return
                except Exception as exc:  # not ready yet: keep polling until the deadline
                    last = str(exc)
            time.sleep(0.2)
        raise ServerStartError(
            f"{spec.name} not healthy after {START_TIMEOUT_S:.0f}s ({last}); "
            f"see {self._log_path(spec.name)}"
        )

    def down(self) -> list[str]:
        """Stop the servers this stack started; return their names."""
        state = self._read_state()
        stopped = []
        for name, entry in state.items():
            terminate(entry.get("pid"))
            (self.root / f"{name}.pid").unlink(missing_ok=True)
            stopped.append(name)
        self._write_state({})
        return stopped

    def status(self) -> list[ServerStatus]:
        """Address and health of each store, managed or external."""
        from argo_agents.stores.factory import check_health

        state = self._read_state()
        try:  # non-strict: a partly started stack still reports what runs
            endpoints: Endpoints | None = self.endpoints(strict=False)
        except StackError:
            endpoints = None
        result = []
        for name in servers.SERVER_NAMES:
            managed = name in self.managed_names()
            entry = state.get(name, {})
            pid = entry.get("pid") if managed else None
            address = _address(name, endpoints, entry)
            if managed and not entry:
                result.append(ServerStatus(name, "-", True, None, False, self._unstarted(name)))
                continue
            if managed and not pid_alive(pid):
                result.append(
                    ServerStatus(
                        name, address, True, pid, False, "process not running: run `argo stack up`"
                    )
                )
                continue
            try:
                assert endpoints is not None
                check_health(name, endpoints)
                result.append(ServerStatus(name, address, managed, pid, True, "ok"))
            except Exception as exc:  # status reports every failure, it never raises
                result.append(ServerStatus(name, address, managed, pid, False, str(exc)))
        return result

    def _unstarted(self, name: str) -> str:
        """Why a managed server is not running, with the install hint when that is why."""
        problem = StackEnv.from_settings(self.settings).problem() if name == "bigquery" else None
        return f"not started; {problem}: run `argo stack install`" if problem else "not started"


def _address(name: str, endpoints: Endpoints | None, entry: dict) -> str:
    if endpoints is None:
        port = entry.get("ports", {}).get("main")
        return f"127.0.0.1:{port}" if port else "-"
    return {
        "redis": endpoints.redis_address,
        "neo4j": endpoints.neo4j_uri,
        "bigquery": endpoints.bigquery_endpoint or "bigquery.googleapis.com",
        "chroma": f"{endpoints.chroma_host}:{endpoints.chroma_port}",
    }[name]


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""

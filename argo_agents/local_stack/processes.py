"""Process and port helpers of the local stack: free ports, liveness, clean stops."""

from __future__ import annotations

import os
import random
import signal
import socket
import time
from pathlib import Path

# Ports handed out by this process: two servers of one `up` must not get the same one
# before either binds it.
_given: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for client (source) ports; Linux's default elsewhere."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now.

    Chosen below the kernel's ephemeral range: a port from that range (what binding
    port 0 returns) can be taken as the source port of any outgoing connection
    between now and the moment a server binds it, and the server then fails to
    listen (seen in CI: ArcadeDB "Unable to listen for BOLT connections").
    """
    low, _ = _ephemeral_range()
    candidates = range(10_000, low) if low > 11_000 else range(0)
    for port in random.sample(candidates, min(200, len(candidates))):
        if port in _given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    with socket.socket() as s:  # no room below the range: let the kernel choose
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    """True when something accepts connections on loopback ``port``."""
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid: int | None) -> bool:
    """True when ``pid`` is a live process (not a zombie)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def terminate(pid: int | None, grace_s: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after ``grace_s``."""
    if not pid or not pid_alive(pid):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and pid_alive(pid):
        _reap(pid)
        time.sleep(0.1)
    if pid_alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and pid_alive(pid):  # reap, or it stays a zombie
        _reap(pid)
        time.sleep(0.05)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass

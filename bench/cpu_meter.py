"""CPU seconds used by each part of a run (servers, worker processes, this process).

Wall-clock rates alone cannot say what bounds a run on a 2-core machine; CPU
per event per process can: if the parts together need T ms of CPU per event,
no arrangement of them exceeds (cores × 1000 / T) events/s. Linux only (reads
``/proc``); a process group is summed, so a server's helper processes count.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

TICK = os.sysconf("SC_CLK_TCK")


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of every live process in process group ``pgid``."""
    total = 0.0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[2]) == pgid:  # fields: state ppid pgrp session … utime stime
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def own_cpu_s() -> float:
    """CPU seconds of this process (all threads)."""
    t = os.times()
    return t.user + t.system


class CpuMeter:
    """CPU used between two readings by named parts and this process.

    A part is one or more process groups (several worker processes count as one).
    """

    def __init__(self, parts: Mapping[str, Sequence[int]], this: str = "this process") -> None:
        self.parts = dict(parts)
        self.this = this
        self.start = self.read()

    def read(self) -> dict[str, float]:
        """Current CPU seconds per part."""
        return {
            **{n: sum(map(group_cpu_s, groups)) for n, groups in self.parts.items()},
            self.this: own_cpu_s(),
        }

    def used(self) -> dict[str, float]:
        """CPU seconds per part since construction."""
        now = self.read()
        return {n: now[n] - self.start.get(n, 0.0) for n in now}


def report(used: Mapping[str, float], events: int, cores: int | None = None) -> list[str]:
    """Lines: CPU ms per event by part, their sum, and the ceiling it implies."""
    cores = cores or os.cpu_count() or 1
    per = {n: 1000 * s / events for n, s in used.items() if s > 0}
    total = sum(per.values())
    lines = [
        "    CPU per event: "
        + ", ".join(f"{n} {ms:.2f} ms" for n, ms in sorted(per.items(), key=lambda kv: -kv[1]))
    ]
    if total:
        lines.append(
            f"    = {total:.2f} ms of CPU per event → at most "
            f"{cores * 1000 / total:.0f} events/s on {cores} cores"
        )
    return lines

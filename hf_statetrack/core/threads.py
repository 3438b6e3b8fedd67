"""How many torch threads a CPU run uses, chosen once at start and printed:

    [threads] torch uses 1 thread (auto: 2 cores allowed, 1.0 of them busy with other processes (/proc/stat over 0.2 s))

The first that is given wins: ``--threads N`` on the command line, ``threads: N`` in the experiment YAML,
the ``OMP_NUM_THREADS`` environment variable, else auto. Auto counts the cores this process may use (its
CPU affinity, capped by a cgroup CPU quota as containers and Slurm set), takes away the cores other processes
kept busy over the last 0.2 s (/proc/stat; the 1-minute load average where that is unreadable), and divides
what is left by the processes that share it: ``accelerate launch`` processes on this node (LOCAL_WORLD_SIZE)
and the runs of a sweep that train in parallel. At least 1.

Why it matters: small models run thousands of tiny ops, and a torch thread that waits for a core another
process holds stalls every op; two threads with one core taken made the quickstart 6x slower (issue 20).
`prepare_openmp` also makes idle OpenMP threads sleep instead of spin (OMP_WAIT_POLICY=PASSIVE) unless the
user set the variable; it must run before torch is imported (the CLI's first step).

>>> parse_cpu_max("200000 100000"), parse_cpu_max("max 100000")
(2.0, None)
>>> idle_cores("cpu0 10 0 10 80 0 0 0 0 0 0", "cpu0 20 0 20 160 0 0 0 0 0 0", {0})
0.8
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import StateTrackError

CGROUP = Path("/sys/fs/cgroup")
SAMPLE_SECONDS = 0.2
FREE_FROM = 0.7  # a core counts as free when idle at least this share of the sample (oversubscribing is costlier)


def prepare_openmp(environ=os.environ) -> None:
    """Idle OpenMP threads sleep rather than spin (libgomp reads this once, when torch loads it)."""
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def parse_request(value, where: str):
    """None (not given), "auto", or a whole number >= 1: what ``--threads`` and ``threads:`` accept."""
    if value is None or value == "auto":
        return value
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or number < 1 or str(number) != str(value).strip():
        raise StateTrackError(f"{where} must be a whole number >= 1 or auto, got {value!r}")
    return number


def parse_cpu_max(text: str) -> float | None:
    """cgroup v2 ``cpu.max`` ("quota period", or "max period" for no limit) -> cores, or None."""
    quota, period = (text.split() + ["100000"])[:2]
    return None if quota == "max" else int(quota) / int(period)


def parse_cfs(quota_text: str, period_text: str) -> float | None:
    """cgroup v1 ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us`` -> cores, or None (quota -1: no limit)."""
    quota = int(quota_text)
    return None if quota < 0 else quota / int(period_text)


def cgroup_quota(root: Path = CGROUP, self_cgroup: str | None = None) -> float | None:
    """The tightest CPU quota over this process's cgroup and its parents (v2), or the v1 CFS quota; None if
    none is set. `self_cgroup` is the text of /proc/self/cgroup (read when None)."""
    if self_cgroup is None:
        self_cgroup = read(Path("/proc/self/cgroup")) or ""
    path = next((line.split(":", 2)[2] for line in self_cgroup.splitlines() if line.startswith("0::")), "/")
    folder, limits = root / path.strip().lstrip("/"), []
    while True:
        if (text := read(folder / "cpu.max")) is not None:
            limits.append(parse_cpu_max(text))
        if folder == root or root not in folder.parents:
            break
        folder = folder.parent
    for v1 in (root / "cpu", root / "cpu,cpuacct"):
        quota, period = read(v1 / "cpu.cfs_quota_us"), read(v1 / "cpu.cfs_period_us")
        if quota is not None and period is not None:
            limits.append(parse_cfs(quota, period))
    limits = [x for x in limits if x is not None]
    return min(limits) if limits else None


def read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, ValueError):
        return None


def idle_cores(before: str, after: str, cpus: set[int]) -> float:
    """Cores of `cpus` left idle between two /proc/stat samples (per-CPU lines "cpuN user nice system idle
    iowait irq softirq steal ..."; idle and iowait count as idle, steal as busy)."""
    def ticks(text):
        rows = {}
        for line in text.splitlines():
            name, *values = line.split() or [""]
            if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
                numbers = [int(v) for v in values[:8]]
                rows[int(name[3:])] = (numbers[3] + numbers[4], sum(numbers))
        return rows

    first, second, idle = ticks(before), ticks(after), 0.0
    for cpu, (idle_after, total_after) in second.items():
        idle_before, total_before = first.get(cpu, (idle_after, total_after))
        elapsed = total_after - total_before
        idle += (idle_after - idle_before) / elapsed if elapsed > 0 else 1.0
    return round(idle, 3)


def free_cores(cpus: set[int]) -> tuple[float, str]:
    """Cores of `cpus` that no other process kept busy just now, and how that was measured."""
    before = read(Path("/proc/stat"))
    time.sleep(SAMPLE_SECONDS)
    after = read(Path("/proc/stat"))
    if before and after:
        return idle_cores(before, after, cpus), f"/proc/stat over {SAMPLE_SECONDS:g} s"
    try:
        load = os.getloadavg()[0]
    except OSError:
        return float(len(cpus)), "not measurable here"
    return max(0.0, (os.cpu_count() or len(cpus)) - load), "1-minute load average"


@dataclass
class Choice:
    threads: int
    reason: str

    def line(self) -> str:
        return f"[threads] torch uses {self.threads} thread{'s' * (self.threads != 1)} ({self.reason})"


def auto(share: int = 1, cap: int | None = None, measure=free_cores, quota=cgroup_quota) -> Choice:
    """Cores allowed (affinity ∩ cgroup quota) and free of other processes, divided by the `share` of
    processes or parallel runs that use them, at most `cap`, at least 1."""
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set(range(os.cpu_count() or 1))
    limit = quota()
    allowed = max(1, min(len(cpus), math.floor(limit) if limit is not None else len(cpus)))
    idle, how = measure(cpus)
    free = max(1, min(allowed, math.floor(idle + 1 - FREE_FROM)))
    threads = max(1, free // share)
    if cap is not None:
        threads = min(threads, cap)
    busy = max(0.0, len(cpus) - idle)
    reason = (f"auto: {allowed} core{'s' * (allowed != 1)} allowed"
              + (f" (cgroup quota {limit:g})" if limit is not None and limit < len(cpus) else "")
              + f", {busy:.1f} of them busy with other processes ({how})")
    if share > 1:
        reason += f", shared by {share} processes or parallel runs"
    if cap is not None and threads == cap:
        reason += f", at most {cap} per run"
    return Choice(threads, reason)


def requested(cli=None, config=None, environ=os.environ) -> Choice | None:
    """The count the user asked for: ``--threads`` > ``threads:`` > OMP_NUM_THREADS; None for auto (not given,
    or "auto" given at the first level that has a value)."""
    cli, config = parse_request(cli, "--threads"), parse_request(config, "threads")
    if isinstance(cli, int):
        return Choice(cli, f"--threads {cli}")
    if cli is None and isinstance(config, int):
        return Choice(config, f"threads: {config} in the config")
    env = environ.get("OMP_NUM_THREADS", "").strip()
    if cli is None and config is None and env.isdigit() and int(env) >= 1:
        return Choice(int(env), f"OMP_NUM_THREADS={env}")
    return None


def choose(cli=None, config=None, environ=os.environ, parallel_runs: int = 1, cap: int | None = None,
           measure=free_cores) -> Choice:
    """The requested count, else auto shared by LOCAL_WORLD_SIZE x `parallel_runs` processes, at most `cap`.

    >>> choose(cli=None, config=3, environ={"OMP_NUM_THREADS": "1"}).line()
    '[threads] torch uses 3 threads (threads: 3 in the config)'
    """
    local = environ.get("LOCAL_WORLD_SIZE", "1").strip()
    share = (int(local) if local.isdigit() and int(local) >= 1 else 1) * max(1, parallel_runs)
    return requested(cli, config, environ) or auto(share, cap, measure)


def use(choice: Choice, announce: bool = True) -> int:
    """Set torch's thread count in this process and print the choice (once per node under accelerate)."""
    import torch

    torch.set_num_threads(choice.threads)
    if announce and os.environ.get("LOCAL_RANK", "0") == "0":
        print(choice.line(), flush=True)
    return choice.threads

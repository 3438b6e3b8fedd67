"""Launchers: what runs a sweep's jobs. ``local`` runs them on this machine: ``--max-parallel N`` at once in
worker processes (`workers`; default ``auto``: the free cores on CPU, the visible GPUs on a GPU node), or one
after another in this process (``--max-parallel 1``, and the Python API's default); ``ray`` runs each job as a
Ray Tune trial, as many at once as the resources allow, on Ray embedded in this process or on a running
cluster (``--address auto``):

    statetrack sweep eval_configs/quickstart.yaml                                   # local, auto
    statetrack sweep eval_configs/quickstart.yaml --max-parallel 1                  # local, one after another
    statetrack sweep eval_configs/quickstart.yaml --launcher ray --max-parallel 2 --cpus-per-run 1

Each run's torch threads: ``--threads`` or the config's ``threads:`` if given, else `threads.choose` (local:
the free cores shared by the runs at once; ray: the same, at most ``--cpus-per-run``).
All take the same `Job` list and print the same progress lines. A job only writes its runs' folders (as
`statetrack train` would); the sweep builds summaries from those folders, so the launcher changes no file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core import threads
from ..core.errors import StateTrackError
from ..reporting.results import percent
from .workers import plan, run_in_workers

LAUNCHERS = ("local", "ray")


@dataclass
class Job:
    """One unit a launcher runs: one seed of a plain sweep's point, or every run of one point's minimum-depth
    search (its values in order, so a deeper model trains only if the shallower failed). ``work(report)`` trains
    and calls ``report(event)`` once per run (`grid.attempt`); ``runs`` lists the (point, seed) it may train, in
    order (a search may stop before the end)."""

    runs: list[tuple[str, int]]
    work: Callable  # picklable: a module-level function with its arguments bound (functools.partial)


@dataclass
class LaunchOptions:
    launcher: str = "local"
    gpus_per_run: float | None = None  # ray: default 1 where the cluster has GPUs, else 0
    cpus_per_run: int = 1  # ray: the cores Ray reserves for each run, and the most torch threads auto gives it
    # local: runs at once, a number or "auto" (None or 1: one after another in this process); ray: at most this
    # many trials at once (None or "auto": as many as the resources allow)
    max_parallel: int | str | None = None
    address: str | None = None  # ray: None starts Ray in this process; "auto" joins a running cluster
    threads: int | str | None = None  # --threads: torch threads of each run (`threads.choose`)

    def __post_init__(self):
        if self.launcher not in LAUNCHERS:
            raise StateTrackError(f"--launcher must be one of {', '.join(LAUNCHERS)}, got {self.launcher!r}")
        if self.cpus_per_run < 1:
            raise StateTrackError("--cpus-per-run must be at least 1")
        self.max_parallel = threads.parse_request(self.max_parallel, "--max-parallel")
        if self.launcher == "ray" and self.max_parallel == "auto":
            self.max_parallel = None
        self.threads = threads.parse_request(self.threads, "--threads")


class Progress:
    """One line per finished run (its key metric and time) and a running ``done/total, failed, ETA`` line.
    `failures` maps (point, seed) to the error of every run that failed."""

    def __init__(self, jobs: list[Job], key: tuple[str, str]):
        self.jobs, self.key = jobs, key
        self.total, self.done, self.trained, self.start = sum(len(j.runs) for j in jobs), 0, 0, time.time()
        self.reported: set[tuple[str, int]] = set()
        self.failures: dict[tuple[str, int], str] = {}

    def report(self, event: dict) -> None:
        run = (event["point"], event["seed"])
        self.reported.add(run)
        self.done += 1
        self.trained += not event.get("reused")
        if "error" in event:
            self.failures[run] = event["error"]
            outcome = f"FAILED: {event['error']}"
        else:
            outcome = f"{self.key[0]} {self.key[1]} {percent(event['metric'])}%" + (
                " (reused)" if event.get("reused") else "")
        print(f"[run] {run[0]} seed {run[1]}: {outcome} in {event['seconds']:.0f} s", flush=True)
        print(f"[sweep] {self.done}/{self.total} done, {len(self.failures)} failed, ETA {self.eta()}", flush=True)

    def eta(self) -> str:
        if not self.trained:
            return "unknown"
        seconds = (time.time() - self.start) / self.trained * (self.total - self.done)
        return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"

    def job_ended(self, job: Job, error: str | None = None) -> None:
        """A job is over: its first unreported run takes the job's own error (a crashed worker), if any; the
        runs it did not need (a search that passed early) leave the total."""
        left = [run for run in job.runs if run not in self.reported]
        if error and left:
            self.report({"point": left[0][0], "seed": left[0][1], "error": error, "seconds": 0.0})
            left = left[1:]
        self.total -= len(left)


def run_jobs(jobs: list[Job], options: LaunchOptions, key: tuple[str, str], root: Path,
             config_threads: int | str | None = None) -> dict[tuple[str, int], str]:
    """Run every job of the sweep in `root` with the chosen launcher; return the failed runs: (point, seed) -> error.
    `key` (split, metric) is the metric of the progress lines; `config_threads` the config's ``threads:``, which
    ``--threads`` (`options.threads`) overrides."""
    progress = Progress(jobs, key)
    if options.launcher == "ray":
        try:
            from .ray_launcher import run_on_ray
        except ImportError:
            raise StateTrackError("--launcher ray needs Ray: pip install 'hf-statetrack[ray]'") from None
        run_on_ray(jobs, options, progress, root, config_threads)
    else:
        run_locally(jobs, options, progress, root, config_threads)
    return progress.failures


def run_locally(jobs: list[Job], options: LaunchOptions, progress: Progress, root: Path, config_threads=None) -> None:
    """``--max-parallel`` jobs at once in worker processes (`workers`; their output in ``root/logs``), or one
    after another in this process (``--max-parallel 1``, or auto finding one free core), where a run may use
    every free core."""
    if options.max_parallel not in (None, 1) and len(jobs) > 1:
        how = plan(options.max_parallel, len(jobs), options.threads, config_threads)
        if how.workers > 1:
            print(f"{how.line()}; their output in {root / 'logs'}/", flush=True)
            print(how.threads.line(), flush=True)
            run_in_workers(jobs, progress, how, root / "logs")
            return
        print(how.line(), flush=True)
    threads.use(threads.choose(options.threads, config_threads))
    for job in jobs:
        job.work(progress.report)
        progress.job_ended(job)

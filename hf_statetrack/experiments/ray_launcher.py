"""The ``ray`` launcher (`launchers`): every job a Ray Tune trial over a grid of job indices, with
``--cpus-per-run`` / ``--gpus-per-run`` as the trial's resources and ``--max-parallel`` trials at once. A
separate module because it imports Ray, an optional extra (``pip install 'hf-statetrack[ray]'``).

Each trial's torch threads come from `trial_threads`; Ray started here runs the trials at niceness 0
(`start_ray`). The trials only train and write their runs' folders; Tune's own logs go to
``<output_dir>/.ray_tune``. On a cluster the output folder must be on storage every node sees, at the same
path (the trials work in the driver's working directory).
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import ray
from ray import tune

from ..core import threads
from .ray_checks import check_address, check_gpus, check_request, connect_error


class ProgressCallback(tune.Callback):
    """Runs on the driver: the progress lines from the events the trials report, one per run. `jobs` and
    `progress` are the `launchers.Job` list and `launchers.Progress` (not imported: launchers imports this)."""

    def __init__(self, jobs: list, progress):
        self.jobs, self.progress = jobs, progress

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self.progress.report({k: result[k] for k in ("point", "seed", "metric", "error", "reused", "seconds")
                              if k in result})

    def on_trial_complete(self, iteration, trials, trial, **info):
        self.progress.job_ended(self.jobs[trial.config["job"]])

    def on_trial_error(self, iteration, trials, trial, **info):
        error = trial.get_error()  # the trial raised outside a run, or its worker process died
        self.progress.job_ended(self.jobs[trial.config["job"]],
                                str(error).strip().splitlines()[-1] if error else "its Ray worker died")


def run_trial(config: dict, jobs: list, threads: int, cwd: str) -> None:
    """One Tune trial: one job, with `threads` torch threads (parallel runs do not fight over the cores)."""
    import torch

    torch.set_num_threads(threads)
    os.chdir(cwd)  # relative output folders and data paths mean what they mean on the driver
    jobs[config["job"]].work(tune.report)


def start_ray(address: str | None) -> None:
    """Join a running cluster, or start Ray embedded in this process. Embedded, its workers (the trials) run at
    niceness 0, not Ray's default 15, which lets any other process on a busy machine starve them; and their
    OpenMP threads sleep when idle (`threads.prepare_openmp`). Both are read from the environment Ray starts
    with, so a value the user set wins."""
    if ray.is_initialized():  # a second sweep in this process, or the caller's own ray.init
        return
    check_address(address)  # Ray retries an address nobody answers forever
    ours = signal.getsignal(signal.SIGTERM)  # ray.init installs its own (exit 1 with a dump); keep the CLI's
    try:
        if address:  # a running cluster: "auto" (started on this node by `ray start`) or its address
            ray.init(address=address, log_to_driver=False)
            return
        os.environ.setdefault("RAY_worker_niceness", "0")  # Ray's worker_niceness setting (ray_config_def.h)
        threads.prepare_openmp()
        ray.init(include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")  # loopback
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as err:
        raise connect_error(address, err) from None
    finally:
        if threading.current_thread() is threading.main_thread() and ours is not None:
            signal.signal(signal.SIGTERM, ours)


def trial_threads(jobs: list, options, config_threads) -> threads.Choice:
    """Each trial's torch threads: ``--threads`` / ``threads:`` / OMP_NUM_THREADS if given; on a cluster
    ``--cpus-per-run``; on this machine the free cores shared by the trials that run at once, at most
    ``--cpus-per-run`` (the cores Ray reserves for each)."""
    explicit = threads.requested(options.threads, config_threads)
    if explicit or options.address:
        cpus = options.cpus_per_run
        choice = explicit or threads.Choice(cpus, f"ray cluster: --cpus-per-run {cpus}")
    else:
        at_once = min(len(jobs), options.max_parallel or len(jobs),
                      max(1, int(ray.cluster_resources().get("CPU", 1)) // options.cpus_per_run))
        choice = threads.choose(parallel_runs=at_once, cap=options.cpus_per_run)
    return threads.Choice(choice.threads, f"in each Ray trial; {choice.reason}")


def run_on_ray(jobs: list, options, progress, root: Path, config_threads=None) -> None:
    """`launchers.run_jobs` with ``--launcher ray``: the jobs as trials, `options` a `launchers.LaunchOptions`,
    `config_threads` the config's ``threads:``."""
    check_gpus(options.gpus_per_run)
    start_ray(options.address)
    gpus = options.gpus_per_run
    if gpus is None:
        gpus = 1 if ray.cluster_resources().get("GPU", 0) > 0 else 0
    check_request([n["Resources"] for n in ray.nodes() if n.get("Alive")], options.cpus_per_run, gpus)
    per_trial = trial_threads(jobs, options, config_threads)
    print(per_trial.line(), flush=True)
    trainable = tune.with_resources(tune.with_parameters(run_trial, jobs=jobs, threads=per_trial.threads,
                                                         cwd=os.getcwd()),
                                    {"cpu": options.cpus_per_run, "gpu": gpus})
    tuner = tune.Tuner(
        trainable, param_space={"job": tune.grid_search(list(range(len(jobs))))},
        tune_config=tune.TuneConfig(max_concurrent_trials=options.max_parallel, reuse_actors=True),  # no re-imports
        run_config=tune.RunConfig(storage_path=str(root.resolve() / ".ray_tune"), verbose=0,
                                  callbacks=[ProgressCallback(jobs, progress)]))
    tuner.fit()

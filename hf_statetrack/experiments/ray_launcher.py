"""The ``ray`` launcher (`launchers`): every job a Ray Tune trial over a grid of job indices, with
``--cpus-per-run`` / ``--gpus-per-run`` as the trial's resources and ``--max-parallel`` trials at once. A
separate module because it imports Ray, an optional extra (``pip install 'hf-statetrack[ray]'``).

The trials only train and write their runs' folders; Tune's own logs go to ``<output_dir>/.ray_tune``. On a
cluster the output folder must be on storage every node sees, at the same path (the trials work in the
driver's working directory).
"""

from __future__ import annotations

import os
from pathlib import Path

import ray
from ray import tune


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


def run_on_ray(jobs: list, options, progress, root: Path) -> None:
    """`launchers.run_jobs` with ``--launcher ray``: the jobs as trials, `options` a `launchers.LaunchOptions`."""
    if not ray.is_initialized():  # else: a second sweep in this process, or the caller's own ray.init
        if options.address:  # a running cluster: "auto" (started on this node by `ray start`) or its address
            ray.init(address=options.address, log_to_driver=False)
        else:  # embedded in this process, for this machine only: loopback, no dashboard
            ray.init(include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    gpus = options.gpus_per_run
    if gpus is None:
        gpus = 1 if ray.cluster_resources().get("GPU", 0) > 0 else 0
    trainable = tune.with_resources(tune.with_parameters(run_trial, jobs=jobs, threads=options.cpus_per_run,
                                                         cwd=os.getcwd()),
                                    {"cpu": options.cpus_per_run, "gpu": gpus})
    tuner = tune.Tuner(
        trainable, param_space={"job": tune.grid_search(list(range(len(jobs))))},
        tune_config=tune.TuneConfig(max_concurrent_trials=options.max_parallel, reuse_actors=True),  # no re-imports
        run_config=tune.RunConfig(storage_path=str(root.resolve() / ".ray_tune"), verbose=0,
                                  callbacks=[ProgressCallback(jobs, progress)]))
    tuner.fit()

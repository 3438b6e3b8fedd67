"""Stand-in jobs for the worker-pool tests (`test_workers`): module-level, so spawned workers can unpickle them,
and light (no training)."""

import os


def report_where(point: str, seeds: list[int], report) -> None:
    """One event per seed, carrying the worker's process id, GPU and torch threads."""
    import torch

    for seed in seeds:
        report({"point": point, "seed": seed, "metric": 1.0, "seconds": 0.0, "pid": os.getpid(),
                "gpu": os.environ.get("CUDA_VISIBLE_DEVICES"), "threads": torch.get_num_threads()})


def raise_after_one(point: str, report) -> None:
    """The first run reports, then the job itself raises (not one of its runs)."""
    report({"point": point, "seed": 0, "metric": 1.0, "seconds": 0.0})
    raise ValueError("the job broke\nsecond line")


def die(report) -> None:
    os._exit(3)  # the worker process dies, as when killed or out of memory

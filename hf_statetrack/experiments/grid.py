"""The grid of a sweep and its runs: points (one per combination of swept values), seeds, and running a
point's seed or reading it back when its folder already holds results for the identical config (`attempt`,
which records a run that raises as failed). Shared by the plain sweep (`sweep`) and the minimum-depth search
(`search`), whatever the launcher (`launchers`)."""

from __future__ import annotations

import copy
import gc
import itertools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.errors import StateTrackError
from ..reporting.results import Results, percent
from ..stats.scoring import SUMMARY_KEYS
from .config import ExperimentConfig, ModelSection, from_dict, set_dotted
from .run import run_experiment
from .rundir import experiment, finished_run, identity, stale
from .runlock import run_lock


@dataclass
class Point:
    name: str  # folder name of the grid point: task, model label and the other swept values
    values: dict  # swept key -> value
    raw: dict  # the point's full experiment config (before seeds)
    shown: set | None = None  # the swept keys its name shows (those that vary across the sweep)

    def config(self, root: Path, seed: int) -> ExperimentConfig:
        run = copy.deepcopy(self.raw)
        run["task"]["seed"] = seed
        run["output_dir"] = str(root / self.name / f"seed{seed}")
        return from_dict(run)


def expand(sweep: dict, base: dict) -> list[Point]:
    """One `Point` for every combination of the `sweep` values (a `SweepConfig`'s, already checked) set in a copy
    of the `base` experiment. A key ``variant`` (or ``variant_<name>``) sweeps settings that go together: each
    value is a mapping of dotted keys set at once, e.g. a model with its learning rate."""
    shown, points = varying(sweep), []
    for values in itertools.product(*sweep.values()):
        run = copy.deepcopy(base)
        for key, value in zip(sweep, values):
            for dotted, setting in (value.items() if is_variant(key) else [(key, value)]):
                set_dotted(run, dotted, setting)
        if not isinstance(run.get("model"), dict):
            raise StateTrackError("the sweep's runs have no model: section; give one in the config (model: {preset: "
                                  "lstm}) or sweep it (sweep: {model: [{preset: lstm}, ...]})")
        if not isinstance(run.get("task"), dict) or "name" not in run["task"]:
            raise StateTrackError("a sweep value replaced the task section without a name (a mapping replaces the "
                                  "whole section); set single keys as dotted keys, e.g. task.train_length: [2, 8]")
        values = dict(zip(sweep, values))
        points.append(Point(point_name(run, values, shown), values, run, shown))
    names = [p.name for p in points]
    if len(set(names)) != len(names):
        raise StateTrackError("two sweep runs would share a folder name; vary the model label or task name")
    return points


SHOWN = {"task.name", "model.preset", "model.architecture", "model.module", "model.pretrained", "model.num_layers",
         "model.hidden_size"}  # in the label


def is_variant(key: str) -> bool:
    """``variant`` (and ``variant_<anything>``, to sweep several groups of settings against each other)."""
    return key == "variant" or key.startswith("variant_")


def flat(values: dict, prefix: str = "") -> dict:
    """Nested sweep values as dotted keys: {"variant": {"model": {"preset": "x"}}} -> {"model.preset": "x"}."""
    out = {}
    for key, value in values.items():
        variant = is_variant(key) and not prefix
        if isinstance(value, dict):
            out.update(flat(value, "" if variant else f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def varying(sweep: dict) -> set[str]:
    """The dotted keys whose value differs between the points of the sweep (what a folder name must show)."""
    rows = [flat(dict(zip(sweep, values))) for values in itertools.product(*sweep.values())]
    keys = {k for row in rows for k in row}
    return {k for k in keys if len({repr(row.get(k)) for row in rows}) > 1}


def point_name(run: dict, values: dict, shown: set[str] | None = None) -> str:
    """"A5-lstm-L1-H64-train_length4": the task, the model label, then every other value that varies."""
    settings = flat(values)
    keys = [k for k in settings if k not in SHOWN and (shown is None or k in shown)]
    extra = [f"{k.split('.')[-1]}{'-'.join(map(str, v)) if isinstance(v, list) else v}"
             for k, v in ((k, settings[k]) for k in keys)]
    name = "-".join([str(run["task"]["name"]), ModelSection.from_dict(run["model"]).label(), *extra])
    return name.replace("/", "_").replace("\\", "_")  # one folder inside the sweep's: a value "a/../.." too


def finished(cfg: ExperimentConfig) -> Results | None:
    """The results a run may reuse instead of training: `stored`, unless the run is to overwrite them."""
    return None if cfg.overwrite else stored(cfg)


def stored(cfg: ExperimentConfig) -> Results | None:
    """The results in the run's folder, if they were written for this exact resolved config (a sweep's summary
    reads them after training, also with overwrite, which only said to retrain)."""
    results = finished_run(cfg.output_dir)
    same = results is not None and identity(results.settings.get("experiment", {})) == identity(experiment(cfg))
    return results if same else None


def run_or_reuse(cfg: ExperimentConfig, label: str) -> tuple[Results, bool]:
    """The run's results, trained now or read back from its folder (then the flag is True), holding the run's
    lock: a run another process is training is waited for and read back, never trained twice. The sweep owns
    its run folders: an interrupted run of another config (an edited sweep) is cleared; a finished one is not
    (`SweepConfig.check` refused it)."""
    with run_lock(cfg.output_dir, label) as waited:
        results = stored(cfg) if waited else finished(cfg)  # waited: finished just now, also with overwrite
        if results is not None:
            print(f"=== {label}: reusing the finished run in {cfg.output_dir} (same config) ===", flush=True)
            return results, True
        print(f"\n=== {label} ===", flush=True)
        cfg.overwrite = cfg.overwrite or stale(cfg)
        run_experiment(cfg)
        return Results.read(cfg.output_dir), False  # from the folder, as any reader of the sweep would


def attempt(cfg: ExperimentConfig, point: str, seed: int, key: tuple[str, str], report) -> Results | None:
    """Run (or read back) one seed of a point and `report` an event for the progress lines: its `key` metric
    (split, name) and time, or its error. A run that raises (a GPU out of memory too) fails alone: None."""
    start, event = time.time(), {"point": point, "seed": seed}
    try:
        results, reused = run_or_reuse(cfg, f"{point} seed {seed}")
    except Exception as err:  # any error of one run is that run's failure: recorded, not fatal
        free_gpu_memory()
        report({**event, "error": f"{type(err).__name__}: {err}".splitlines()[0], "seconds": time.time() - start})
        return None
    report({**event, "metric": float(results.splits[key[0]][key[1]]), "reused": reused,
            "seconds": time.time() - start})
    return results


def free_gpu_memory() -> None:
    """After a failed run (an out-of-memory one above all), give its GPU memory back for the next run."""
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def mean_std(values: list[float]) -> str:
    """Percent "97.2 ± 1.3" over seeds ("97.2" for one seed)."""
    if len(values) == 1:
        return percent(values[0])
    return f"{percent(float(np.mean(values)))} ± {percent(float(np.std(values, ddof=1)))}"


def length_spread(values: list) -> str:
    """A longest length over seeds: "79.3 ± 14.6 (67..96)"; "93" for one seed; "n/a" where none was defined."""
    values = [v for v in values if v is not None]
    if len(values) <= 1:
        return f"{values[0]:.0f}" if values else "n/a"
    return f"{np.mean(values):.1f} ± {np.std(values, ddof=1):.1f} ({min(values):.0f}..{max(values):.0f})"


LENGTH_KEYS = ("max_length_at_threshold", "binned_max_length_at_threshold")


def seed_stats(runs: list[Results], split: str = "test") -> dict:
    """Per metric: the per-seed values, their mean and std (ddof 1), over the runs of one point. A value a seed
    lacks (a binned length of an empty split) is None and left out of mean and std."""
    stats = {}
    for key in (*SUMMARY_KEYS, *LENGTH_KEYS):
        values = [r.splits[split].get(key) for r in runs]
        known = [float(v) for v in values if v is not None]
        stats[key] = {"per_seed": [None if v is None else float(v) for v in values],
                      "mean": float(np.mean(known)) if known else None,
                      "std": float(np.std(known, ddof=1)) if len(known) > 1 else 0.0}
    return stats

"""``statetrack sweep``: run the cartesian product of a config's ``sweep:`` section over seeds, then summarise.

    sweep:
      task.name: [A4_x_Z5, A5]
      model:                                  # a whole section can be swept too
        - {preset: lstm, num_layers: 1, hidden_size: 64}
        - {preset: transformer, num_layers: 2, hidden_size: 64}
    seeds: 3                                  # optional: every point trained with task.seed, +1, +2
    search: {min: model.num_layers, values: [1, 2, 3]}   # optional: the minimum-depth search (`search`)
    report: illusion_of_state                 # optional: a report beside the papers' numbers (`reproductions`)

Every run writes ``<output_dir>/<point>/seed<k>`` as `statetrack train` would (a seed varies the data and
the initialisation together), on the launcher of `launchers` (``local``: ``--max-parallel`` at once in worker
processes, or one after another in this process; ``ray``: Ray Tune trials in parallel). A run whose folder
already holds results for the identical resolved config is read back, not retrained, so a killed sweep picks up
where it stopped (a run another process is training is waited for and read back, `runlock`); a config that
only trains longer is retrained, any other change to a finished run is refused before training unless
``--overwrite``; a run that raises is recorded as failed and the others go on. The sweep then writes
``summary.md`` / ``summary.json`` (mean ± std over seeds, per-seed values in the JSON, the failed runs with
their errors) and one ``accuracy_by_length-<task>.png`` per task (every seed: mean and min..max band over
length bins, see `plots`), all from the runs' folders, so the launcher changes no file.
"""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path

import numpy as np

from ..core.files import atomic_write
from ..reporting.plots import palette, plot_by_length
from ..reporting.results import Results, binning_note, longest_headers, metric_cells, metric_header, strict_json, table
from ..stats.scoring import SUMMARY_KEYS
from .grid import LENGTH_KEYS, Point, attempt, length_spread, mean_std, seed_stats, stored
from .launchers import Job, LaunchOptions, run_jobs
from .reproductions import write_report
from .search import collect_search, search_jobs
from .sweep_config import SweepConfig, load_sweep

KEY = ("test", "sequence_accuracy")  # the metric shown in a run's progress line


def run_sweep(path: str, overrides: list[str] = (), seeds: int | None = None, output_dir: str | None = None,
              launch: LaunchOptions | None = None) -> dict[str, list[Results]]:
    """`run` of the sweep file at `path` (``--set`` overrides, ``--output-dir``)."""
    return run(load_sweep(path, overrides, output_dir), seeds, launch)


def run(cfg: SweepConfig, seeds: int | list[int] | None = None,
        launch: LaunchOptions | None = None) -> dict[str, list[Results]]:
    """Every point x seed (or, with ``search:``, the minimum-depth search) on the chosen launcher (default: local,
    in this process); returns every finished point -> its per-seed results, read from the run folders. `seeds`: a
    count (default: the file's), or the seed values."""
    root, points = cfg.root, cfg.points()
    seed_values = seeds if isinstance(seeds, list) else cfg.seed_values(seeds)
    cfg.check(points, seed_values)  # every run, before training any
    launch, search = launch or LaunchOptions(), cfg.search
    if search:
        failures = run_jobs(search_jobs(search, points, seed_values, root), launch,
                            (search.split, search.metric), root, cfg.threads)
        summary, missing = collect_search(search, points, seed_values, root, failures)
    else:
        jobs = [Job([(p.name, s)], partial(attempt, p.config(root, s), p.name, s, KEY))
                for p, s in itertools.product(points, seed_values)]
        failures = run_jobs(jobs, launch, KEY, root, cfg.threads)
        summary, missing = collect_runs(points, seed_values, root, failures)
    write_summary(root, summary, {key: failures.get(key, "unfinished") for key in missing})
    if cfg.report and summary:
        write_report(cfg.report, root, summary, cfg)
    return summary


def collect_runs(points: list[Point], seeds: list[int], root: Path, failed=()) -> tuple[dict, list]:
    """From the run folders: every point whose seeds all finished -> its per-seed results; the missing runs
    (`failed` runs count as missing whatever their folder holds)."""
    summary, missing = {}, []
    for point in points:
        runs = [None if (point.name, seed) in failed else stored(point.config(root, seed)) for seed in seeds]
        missing += [(point.name, seed) for seed, r in zip(seeds, runs) if r is None]
        if None not in runs:
            summary[point.name] = runs
    return summary, missing


def write_summary(root: Path, summary: dict[str, list[Results]], failed: dict[tuple[str, int], str]) -> None:
    """summary.json/.md and the plots; a point with a failed or unfinished seed is listed with its errors only."""
    root.mkdir(parents=True, exist_ok=True)
    slim = {name: {"task": runs[0].task["name"], "model": runs[0].model, "seeds": [r.seed for r in runs],
                   "num_parameters": runs[0].num_parameters, "test": seed_stats(runs),
                   "train_runtime_s": [r.train["runtime_s"] for r in runs]} for name, runs in summary.items()}
    for (name, seed), error in failed.items():
        slim.setdefault(name, {"failed": {}})["failed"][f"seed{seed}"] = error
    atomic_write(root / "summary.json", strict_json(slim))
    atomic_write(root / "summary.md", summary_markdown(summary, failed))
    plot_tasks(root, summary)


def plot_tasks(root: Path, summary: dict[str, list[Results]]) -> None:
    """One ``accuracy_by_length-<task>.png`` per task, every seed of each run; a run (its name without the task)
    keeps one colour in every figure of the sweep."""
    by_task: dict[str, dict] = {}
    for name, runs in summary.items():
        task = runs[0].task["name"]
        label = name.removeprefix(f"{task}-")
        by_task.setdefault(task, {})[label] = [r.splits["test"] for r in runs]
    colors = palette(label for curves in by_task.values() for label in curves)
    threshold = next(iter(summary.values()))[0].threshold if summary else 0.9
    for task, curves in by_task.items():
        plot_by_length(curves, threshold, root / f"accuracy_by_length-{task}.png", f"{task}: test accuracy by length",
                       colors)


def summary_markdown(summary: dict[str, list[Results]], failed: dict[tuple[str, int], str]) -> str:
    rows = []
    for name, runs in summary.items():
        stats = seed_stats(runs)
        accuracies = (metric_cells(runs[0].splits["test"]) if len(runs) == 1 else
                      " | ".join(mean_std(stats[k]["per_seed"]) for k in SUMMARY_KEYS))
        rows.append([runs[0].task["name"], name, f"{runs[0].num_parameters:,}", accuracies,
                     *(length_spread(stats[k]["per_seed"]) for k in LENGTH_KEYS),
                     f"{np.mean([r.train['runtime_s'] for r in runs]):.0f}"])
    lines = []
    if summary:
        threshold = next(iter(summary.values()))[0].threshold
        seeds = max(len(runs) for runs in summary.values())
        header = ["task", "run", "params", *metric_header("test ").split(" | "), *longest_headers(threshold),
                  "train s"]
        lines += [f"Mean ± std over {seeds} seeds, longest lengths also (min..max); per-seed values in "
                  f"summary.json.", ""] if seeds > 1 else [
                  "One seed: accuracies with their 95 % Wilson interval [lo, hi] (token intervals assume independent "
                  "positions, so they are too narrow).", ""]
        lines += table(header, rows, numeric_from=2)
        note = binning_note({name: runs[0].splits["test"] for name, runs in summary.items()})
        lines += ["", note] if note else []
    if failed:
        lines += ["", f"{len(failed)} run{'s' * (len(failed) != 1)} failed or did not finish (run the same command "
                      "again to retry them):", ""]
        lines += [f"* {name} seed {seed}: {error}" for (name, seed), error in failed.items()]
    return "\n".join(lines) + "\n"

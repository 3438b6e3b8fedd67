"""``statetrack sweep``: run the cartesian product of a config's ``sweep:`` section over seeds, then summarise.

    sweep:
      task.name: [A4_x_Z5, A5]
      model:                                  # a whole section can be swept too
        - {preset: lstm, num_layers: 1, hidden_size: 64}
        - {preset: transformer, num_layers: 2, hidden_size: 64}
    seeds: 3                                  # optional: every point trained with task.seed, +1, +2
    search: {min: model.num_layers, values: [1, 2, 3]}   # optional: the minimum-depth search (`search`)
    report: illusion_of_state                 # optional: a report beside the papers' numbers (`reports`)

Every run writes ``<output_dir>/<point>/seed<k>`` as `statetrack train` would (a seed varies the data and
the initialisation together). A run whose folder already holds results for the identical resolved config
is read back, not retrained, so a killed sweep picks up where it stopped; a changed config is retrained.
The sweep then writes ``summary.md`` / ``summary.json`` (mean ± std over seeds, per-seed values in the
JSON) and one ``accuracy_by_length-<task>.png`` per task, all from the runs' `Results` files.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

from ..results import Results, atomic_write, metric_header, plot_by_length, table
from ..scoring import SUMMARY_KEYS
from ..yaml_loader import read_yaml
from .config import apply_override
from .grid import expand, mean_std, run_or_reuse, seed_list, seed_stats, validate
from .reports import write_report
from .search import SearchSpec, run_search


def load_sweep(path: str, overrides: list[str] = (), output_dir: str | None = None) -> dict:
    raw = read_yaml(path)
    for assignment in overrides:
        apply_override(raw, assignment)
    if output_dir:
        raw["output_dir"] = output_dir
    return raw


def run_sweep(path: str, overrides: list[str] = (), seeds: int | None = None,
              output_dir: str | None = None) -> dict[str, list[Results]]:
    """Every point x seed (or, with ``search:``, the minimum-depth search); returns point -> per-seed results."""
    raw = load_sweep(path, overrides, output_dir)
    root, points, seed_values = Path(raw.get("output_dir", "outputs/sweep")), expand(raw), seed_list(raw, seeds)
    search = SearchSpec.from_raw(raw.get("search"), raw.get("sweep") or {}) if raw.get("search") else None
    validate(search.expand(points) if search else points, seed_values, root)  # every run, before training any
    if search:
        summary = run_search(search, points, seed_values, root)
    else:
        summary, total = {}, len(points) * len(seed_values)
        for i, (point, seed) in enumerate(itertools.product(points, seed_values), start=1):
            summary.setdefault(point.name, []).append(
                run_or_reuse(point.config(root, seed), f"run {i}/{total}: {point.name} seed {seed}"))
    write_summary(root, summary)
    if raw.get("report"):
        write_report(raw["report"], root, summary, raw)
    return summary


def write_summary(root: Path, summary: dict[str, list[Results]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    slim = {name: {"task": runs[0].task["name"], "model": runs[0].model, "seeds": [r.seed for r in runs],
                   "num_parameters": runs[0].num_parameters, "test": seed_stats(runs),
                   "train_runtime_s": [r.train["runtime_s"] for r in runs]} for name, runs in summary.items()}
    atomic_write(root / "summary.json", json.dumps(slim, indent=2))
    atomic_write(root / "summary.md", summary_markdown(summary))
    by_task: dict[str, dict] = {}
    for name, runs in summary.items():
        by_task.setdefault(runs[0].task["name"], {})[name] = runs[0].splits["test"]["by_length"]
    threshold = next(iter(summary.values()))[0].threshold
    for task, curves in by_task.items():
        plot_by_length(curves, threshold, root / f"accuracy_by_length-{task}.png", f"{task}: test accuracy by length"
                       + (" (first seed)" if any(len(r) > 1 for r in summary.values()) else ""))


def summary_markdown(summary: dict[str, list[Results]]) -> str:
    threshold = next(iter(summary.values()))[0].threshold
    seeds = max(len(runs) for runs in summary.values())
    header = ["task", "run", "params", *metric_header("test ").split(" | "),
              f"longest length with seq acc ≥ {threshold:g}", "train s"]
    rows = []
    for name, runs in summary.items():
        stats = seed_stats(runs)
        longest = stats["max_length_at_threshold"]
        rows.append([runs[0].task["name"], name, f"{runs[0].num_parameters:,}",
                     *(mean_std(stats[k]["per_seed"]) for k in SUMMARY_KEYS),
                     f"{longest['mean']:.0f}" + (f" ± {longest['std']:.1f}" if len(runs) > 1 else ""),
                     f"{np.mean([r.train['runtime_s'] for r in runs]):.0f}"])
    note = [f"Mean ± std over {seeds} seeds (per-seed values in summary.json).", ""] if seeds > 1 else []
    return "\n".join([*note, *table(header, rows, numeric_from=2)]) + "\n"

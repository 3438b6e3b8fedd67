"""``statetrack sweep``: run the cartesian product of a config's ``sweep:`` section, then summarise.

    sweep:
      task.name: [A4_x_Z5, A5]
      model:                                  # a whole section can be swept too
        - {preset: lstm, num_layers: 1, hidden_size: 64}
        - {preset: transformer, num_layers: 2, hidden_size: 64}

Each run writes its own folder ``<output_dir>/<run name>`` (as `statetrack train` would); the sweep
adds ``summary.md``, ``summary.json`` and one ``accuracy_by_length-<task>.png`` per task, all built from
the runs' `Results` records (so `summarise(folder)` rebuilds them from the folders alone).
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

from ..errors import StateTrackError
from ..results import Results, atomic_write, metric_cells, metric_header, plot_by_length, table
from ..yaml_loader import read_yaml
from .config import ModelSection, apply_override, from_dict, set_dotted
from .pipeline import task_splits
from .run import run_experiment
from .rundir import check_output_dir


def expand(raw: dict) -> list[tuple[str, dict]]:
    """(run name, full config) for every combination of the sweep values."""
    sweep = raw.get("sweep") or {}
    if not isinstance(sweep, dict) or not all(isinstance(v, list) and v for v in sweep.values()):
        raise StateTrackError("sweep: must map dotted keys to non-empty lists, e.g. sweep: {task.name: [S5, A5]}")
    base = {k: v for k, v in raw.items() if k != "sweep"}
    runs = []
    for values in itertools.product(*sweep.values()):
        run = copy.deepcopy(base)
        for key, value in zip(sweep, values):
            set_dotted(run, key, value)
        name = f"{run['task']['name']}-{ModelSection.from_dict(run['model']).label()}"
        extra = [f"{k.split('.')[-1]}{v}" for k, v in zip(sweep, values)
                 if k not in ("task.name", "model") and not isinstance(v, dict)]
        runs.append(("-".join([name, *map(str, extra)]), run))
    names = [n for n, _ in runs]
    if len(set(names)) != len(names):
        raise StateTrackError("two sweep runs would share a folder name; vary the model label or task name")
    return runs


def run_sweep(path: str, overrides: list[str] = ()) -> dict[str, Results]:
    raw = read_yaml(path)
    for assignment in overrides:
        apply_override(raw, assignment)
    root = Path(raw.get("output_dir", "outputs/sweep"))
    configs = []
    for name, run in expand(raw):  # validate every run before training any
        run["output_dir"] = str(root / name)
        cfg = from_dict(run)
        if cfg.generation_params().num_test == 0:
            raise StateTrackError(f"sweep run {name} has num_test 0: the summary needs a test split; set "
                                  f"task.num_test > 0")
        check_output_dir(cfg)
        configs.append((name, cfg))
    for name, cfg in configs:  # the data each run trains on, cached for it: a test split left empty fails here
        empty = [split for split, rows in task_splits(cfg).items() if split.startswith("test") and len(rows) == 0]
        if empty:
            raise StateTrackError(f"sweep run {name}: split {empty[0]} has no rows (every test row also occurs in "
                                  f"train or validation); widen the test lengths or lower num_train")
    for i, (name, cfg) in enumerate(configs, start=1):
        print(f"\n=== run {i}/{len(configs)}: {name} ===", flush=True)
        run_experiment(cfg)
    summary = {name: Results.read(cfg.output_dir) for name, cfg in configs}  # from the folders, as any reader would
    write_summary(root, summary)
    return summary


def write_summary(root: Path, summary: dict[str, Results]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    slim = {name: {"task": r.task["name"], "model": r.model, "splits": r.splits, "train": r.train,
                   "num_parameters": r.num_parameters} for name, r in summary.items()}
    atomic_write(root / "summary.json", json.dumps(slim, indent=2))
    atomic_write(root / "summary.md", summary_markdown(summary))
    by_task: dict[str, dict] = {}
    for name, r in summary.items():
        by_task.setdefault(r.task["name"], {})[name] = r.splits["test"]["by_length"]
    threshold = next(iter(summary.values())).threshold
    for task, curves in by_task.items():
        plot_by_length(curves, threshold, root / f"accuracy_by_length-{task}.png", f"{task}: test accuracy by length")


def summary_markdown(summary: dict[str, Results]) -> str:
    threshold = next(iter(summary.values())).threshold
    header = ["task", "run", "params", *metric_header("test ").split(" | "),
              f"longest length with seq acc ≥ {threshold:g}", "train s"]
    rows = [[r.task["name"], name, f"{r.num_parameters:,}", metric_cells(r.splits["test"]),
             r.splits["test"]["max_length_at_threshold"], f"{r.train['runtime_s']:.0f}"] for name, r in summary.items()]
    return "\n".join(table(header, rows, numeric_from=2)) + "\n"

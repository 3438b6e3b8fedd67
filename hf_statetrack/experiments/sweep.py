"""``statetrack sweep``: run the cartesian product of a config's ``sweep:`` section, then summarise.

    sweep:
      task.name: [A4_x_Z5, A5]
      model:                                  # a whole section can be swept too
        - {preset: lstm, num_layers: 1, hidden_size: 64}
        - {preset: transformer, num_layers: 2, hidden_size: 64}

Each run writes its own folder ``<output_dir>/<run name>`` (as `statetrack train` would); the sweep
adds ``summary.md``, ``summary.json`` and ``accuracy_by_length.png`` (one panel per task).
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

from ..errors import StateTrackError
from ..results import percent, plot_by_length
from ..scoring import SUMMARY_KEYS
from .config import ModelSection, apply_override, from_dict, read_yaml, set_dotted
from .run import run_experiment


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


def run_sweep(path: str, overrides: list[str] = ()) -> dict:
    raw = read_yaml(path)
    for assignment in overrides:
        apply_override(raw, assignment)
    root = Path(raw.get("output_dir", "outputs/sweep"))
    configs = []
    for name, run in expand(raw):
        run["output_dir"] = str(root / name)
        configs.append((name, from_dict(run)))  # validate every run before training any
    summary = {}
    for i, (name, cfg) in enumerate(configs, start=1):
        print(f"\n=== run {i}/{len(configs)}: {name} ===", flush=True)
        summary[name] = run_experiment(cfg)
    write_summary(root, summary)
    return summary


def write_summary(root: Path, summary: dict) -> None:
    root.mkdir(parents=True, exist_ok=True)
    slim = {name: {"task": r["task"]["name"], "model": r["model_label"], "splits": r["splits"],
                   "train": r["train"], "num_parameters": r["num_parameters"]} for name, r in summary.items()}
    (root / "summary.json").write_text(json.dumps(slim, indent=2))
    (root / "summary.md").write_text(summary_markdown(summary))
    by_task: dict[str, dict] = {}
    for name, r in summary.items():
        by_task.setdefault(r["task"]["name"], {})[name] = r["splits"]["test"]["by_length"]
    threshold = next(iter(summary.values()))["threshold"]
    for task, curves in by_task.items():
        plot_by_length(curves, threshold, root / f"accuracy_by_length-{task}.png", f"{task}: test accuracy by length")


def summary_markdown(summary: dict) -> str:
    threshold = next(iter(summary.values()))["threshold"]
    lines = ["| task | run | params | test token acc % | test sequence acc % | test final-state acc % | "
             f"longest length with seq acc ≥ {threshold:g} | train s |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in summary.items():
        test = r["splits"]["test"]
        lines.append(f"| {r['task']['name']} | {name} | {r['num_parameters']:,} | "
                     + " | ".join(percent(test[k]) for k in SUMMARY_KEYS)
                     + f" | {test['max_length_at_threshold']} | {r['train']['runtime_s']:.0f} |")
    return "\n".join(lines) + "\n"

"""Reports that put a sweep's results next to the papers' (``report: NAME`` in a sweep config).

Each writes ``report.md`` in the sweep's folder from the runs' `Results` (and ``search.json``), so the
same YAML gives the same report under ``statetrack sweep`` and ``statetrack reproduce``:

* ``illusion_of_state``: the minimum-depth table by length, and per architecture whether it shows the
  paper's shape (one layer everywhere for recurrent models; depth growing with length otherwise).
* ``sarrof_formal_languages``: sequence accuracy per language, layers and length bin, ours (mean ± std over
  seeds) / the paper's.
* ``negative_eigenvalues``: scaled accuracy (acc - chance) / (1 - chance) by task and model: mean and std,
  and the median and max over seeds that Grazzi et al. report.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..files import atomic_write
from ..registry import Registry
from ..results import Results, table
from ..tasks import get_task
from .grid import flat, mean_std
from .papers import GRAZZI_SHAPE, ILLUSION_SHAPE, SARROF_MAMBA
from .search import column, length_of, point_model

REPORTS = Registry("report")


def write_report(name: str, root: Path, summary: dict[str, list[Results]], raw: dict) -> Path:
    text = REPORTS.lookup(name)(root, summary, raw)
    atomic_write(root / "report.md", text)
    return root / "report.md"


def model_of(results: Results) -> dict:
    return results.settings["experiment"]["model"]


def recurrent(preset: str) -> bool:
    """The preset's `recurrent` fact: one layer should track every group (False for any other model)."""
    from ..models import PRESETS

    return preset in PRESETS and PRESETS.lookup(preset).recurrent


def transition_range(model: dict) -> str:
    """"[0, 1]" or "[-1, 1]": the preset's `eigenvalues` fact for the config the run built (so
    `allow_negative_eigenvalues: false` counts); "-" without a linear recurrence, "?" for a non-preset model."""
    from ..models import PRESETS
    from .config import ModelSection

    section = ModelSection.from_dict(model)
    if section.preset is None:
        return "?"
    config = section.build_config(vocab_size=2, num_labels=2)
    return PRESETS.lookup(section.preset).eigenvalue_range(config) or "-"


def illusion_of_state(root: Path, summary: dict, raw: dict) -> str:
    records = json.loads((root / "search.json").read_text())
    by = raw["search"].get("by") or next((k for k in flat(records[0]["point"]) if "length" in k), None)
    lines = ["# Illusion of State: minimum depth reaching the threshold, by length", "",
             (root / "search.md").read_text().split("\n", 2)[2].strip(), "", "![](min_depth_by_length.png)", "",
             f"Paper: {ILLUSION_SHAPE}.", "", "## Ours against the paper's shape", ""]
    curves: dict[tuple, list] = {}
    for r in (r for r in records if not r.get("incomplete")):
        arch = point_model(r["point"]).get("preset") or raw["model"].get("preset", "?")
        curves.setdefault((flat(r["point"]).get("task.name"), arch), []).append((column(length_of(r["point"], by)),
                                                                                 r["min"]))
    for (task, arch), points in curves.items():
        mins = [m for _, m in points]
        shown = ", ".join(f"{length}: {m if m is not None else 'none'}" for length, m in points)
        if recurrent(arch):
            one = all(m == 1 for m in mins)
            verdict = "agrees (one layer everywhere)" if one else "differs: needs more than one layer"
        elif all(m is None for m in mins):
            verdict = "never reaches the threshold at these depths: the growth cannot be seen here"
        else:
            ordered = [m if m is not None else float("inf") for m in mins]  # none passed = deeper than tried
            grows = ordered == sorted(ordered) and len(set(ordered)) > 1
            verdict = "agrees (depth grows with length)" if grows else "does not show the growth with length here"
        lines.append(f"* {task} · {arch}: {shown} -> {verdict}")
    return "\n".join(lines) + "\n"


def best_by_validation(summary: dict) -> dict[tuple, list[Results]]:
    """(language, layers) -> the runs of the point with the best mean validation sequence accuracy: Sarrof et al.
    pick the learning rate on validation, never on test."""
    best: dict[tuple, list[Results]] = {}
    for runs in summary.values():
        key = (runs[0].task["name"], model_of(runs[0]).get("num_layers"))
        score = np.mean([r.splits["validation"]["sequence_accuracy"] for r in runs if "validation" in r.splits] or [0])
        if key not in best or score > best[key][0]:
            best[key] = (score, runs)
    return {key: runs for key, (_, runs) in best.items()}


BINS = {1: "[1, 50]", 51: "[51, 100]", 101: "[101, 150]"}  # Sarrof et al.'s length bins, by first length


def split_bin(results: Results, split: str) -> int | None:
    """The index of the Sarrof bin a test split covers (0, 1, 2), from its lengths; None for other splits."""
    if split == "test":
        first = results.task["test_length"][0]
    elif split.startswith("test@"):
        first = int(split[5:].split("-")[0])
    else:
        return None
    return list(BINS).index(first) if first in BINS else None


def sarrof_formal_languages(root: Path, summary: dict, raw: dict) -> str:
    """Rows: languages; columns: layers x bins, "ours / paper" sequence accuracy % (ours: mean over seeds)."""
    cells: dict[str, dict] = {}
    for (language, layers), runs in best_by_validation(summary).items():
        for split in runs[0].splits:
            index = split_bin(runs[0], split)
            if index is None:
                continue
            ours = mean_std([r.splits[split]["sequence_accuracy"] for r in runs])
            paper = SARROF_MAMBA.get(language, {}).get(layers, ())
            theirs = paper[index] if index < len(paper) and paper[index] is not None else None
            cells.setdefault(language, {})[(layers, index)] = f"{ours} / " + ("-" if theirs is None else f"{theirs:g}")
    keys = sorted({k for row in cells.values() for k in row})
    header = ["language", *(f"{layers} layer{'s' * (layers != 1)}, {list(BINS.values())[i]}" for layers, i in keys)]
    lines = ["# Sarrof et al.: Mamba on formal languages, sequence accuracy % (ours / paper)", "",
             "Ours: mean ± std over seeds (one seed: its value), learning rate chosen on validation where several "
             "were run; paper: Sarrof, Veitsman & Hahn 2024 ('-': not reported). A language with one string per "
             "length has no bin [1, 50] here: every such string is a training string, and our test splits never "
             "hold one.", ""]
    lines += table(header, [[language, *(row.get(k, "") for k in keys)] for language, row in sorted(cells.items())])
    return "\n".join(lines) + "\n"


def scaled(accuracy: float, task_name: str) -> float:
    chance = 1 / len(get_task(task_name).label_vocab)
    return (accuracy - chance) / (1 - chance)


def negative_eigenvalues(root: Path, summary: dict, raw: dict) -> str:
    rows = []
    for runs in summary.values():
        model = model_of(runs[0])
        values = [scaled(r.splits["test"]["sequence_accuracy"], r.task["name"]) for r in runs]
        rows.append([runs[0].task["name"], model.get("preset"), transition_range(model),
                     f"{np.mean(values):.2f}", f"{np.std(values, ddof=1) if len(values) > 1 else 0:.2f}",
                     f"{np.median(values):.2f}", f"{np.max(values):.2f}", len(values)])
    lines = ["# Negative eigenvalues: scaled test accuracy (acc - chance) / (1 - chance)", "",
             f"Paper: {GRAZZI_SHAPE}. Max over seeds is shown because the paper reports it; read the mean.", ""]
    lines += table(["task", "model", "transition range", "mean", "std", "median", "max", "seeds"], rows,
                   numeric_from=3)
    return "\n".join(lines) + "\n"


for _report in (illusion_of_state, sarrof_formal_languages, negative_eigenvalues):
    REPORTS.register(_report.__name__, _report)

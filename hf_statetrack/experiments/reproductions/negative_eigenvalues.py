"""Negative eigenvalues (Grazzi et al. 2024): transitions in [-1, 1] against [0, 1] on parity.

The report (``report: negative_eigenvalues``): scaled accuracy (acc - chance) / (1 - chance) by task and model
beside the paper's: mean and std, and the median and max over seeds that Grazzi et al. report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...reporting.results import table
from ...tasks import get_task
from ..config import model_name
from . import model_of, register

# Grazzi et al.: scaled accuracy (acc - chance) / (1 - chance) on test lengths 40..256, over seeds.
GRAZZI_SHAPE = ("with transitions in [-1, 1] parity reaches scaled accuracy 1.0 within ~4k steps; with [0, 1] it "
                "stays near 0 (Grazzi et al. 2024)")
# (task, transition range as the report labels it) -> the paper's scaled accuracy on parity (its text: 1.0, "near 0").
GRAZZI_SCALED = {("parity_check", "[-1, 1]"): "1.0", ("parity_check", "[0, 1]"): "~0"}


def transition_range(model: dict) -> str:
    """"[0, 1]" or "[-1, 1]": the preset's `eigenvalues` fact for the config the run built (so
    `allow_negative_eigenvalues: false` counts); "-" without a linear recurrence, "?" for a non-preset model."""
    from ...models import PRESETS
    from ..config import ModelSection

    if model.get("preset") is None:  # no facts to read (and an own model's code need not be imported for this)
        return "?"
    section = ModelSection.from_dict(model)
    config = section.build_config(vocab_size=2, num_labels=2)
    return PRESETS.lookup(section.preset).eigenvalue_range(config) or "-"


def scaled(accuracy: float, task_name: str) -> float:
    chance = 1 / len(get_task(task_name).label_vocab)
    return (accuracy - chance) / (1 - chance)


def negative_eigenvalues(root: Path, summary: dict, cfg) -> str:
    rows = []
    for runs in summary.values():
        model = model_of(runs[0])
        values = [scaled(r.splits["test"]["sequence_accuracy"], r.task["name"]) for r in runs]
        rows.append([runs[0].task["name"], model_name(model), transition_range(model),
                     f"{np.mean(values):.2f}", f"{np.std(values, ddof=1) if len(values) > 1 else 0:.2f}",
                     f"{np.median(values):.2f}", f"{np.max(values):.2f}", len(values)])
    rows = [[*row[:3], GRAZZI_SCALED.get((row[0], row[2]), "-"), *row[3:]] for row in rows]  # the paper's, beside
    lines = ["# Negative eigenvalues: scaled test accuracy (acc - chance) / (1 - chance)", "",
             f"Paper: {GRAZZI_SHAPE}. Max over seeds is shown because the paper reports it; read the mean.", ""]
    lines += table(["task", "model", "transition range", "paper", "mean", "std", "median", "max", "seeds"], rows,
                   numeric_from=3)
    return "\n".join(lines) + "\n"


register(__name__, negative_eigenvalues, order=3)

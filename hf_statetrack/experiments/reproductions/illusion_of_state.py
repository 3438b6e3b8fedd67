"""Illusion of State (Merrill, Petty & Sabharwal 2024): the minimum depth reaching the threshold, by length.

The report (``report: illusion_of_state``): the minimum-depth table by length (from ``search.json``), per
architecture whether it shows the paper's shape (one layer everywhere for recurrent models; depth growing with
length otherwise), and the seeds passing at each depth tried.
"""

from __future__ import annotations

from pathlib import Path

from ...reporting.results import table
from ..config import model_name
from ..search import column, column_keys, length_of, point_model, read_search, row_label, search_table
from . import register

# The paper gives its minimum depths only as a figure: the expected shape is stated instead of numbers.
ILLUSION_SHAPE = ("RNN/LSTM and IDS4 need one layer at every length; the transformer and Mamba need more layers as "
                  "the length grows, and more on A5 (non-solvable) than on A4_x_Z5 and Z60 (Merrill et al. 2024; "
                  "only the figure is published, no per-length numbers)")


def recurrent(preset: str) -> bool:
    """The preset's `recurrent` fact: one layer should track every group (False for any other model)."""
    from ...models import PRESETS

    return preset in PRESETS and PRESETS.lookup(preset).recurrent


def illusion_of_state(root: Path, summary: dict, cfg) -> str:
    spec, records = read_search(root, cfg.search)
    by = spec.by
    lines = ["# Illusion of State: minimum depth reaching the threshold, by length", "", "## Minimum depth", "",
             "\n".join(search_table(spec, records)), "", "![](min_depth_by_length.png)", "",
             f"Paper: {ILLUSION_SHAPE}.", "", "## Ours against the paper's shape", ""]
    lines += shape_verdicts(records, by, model_name(cfg.experiment.get("model") or {}))
    lines += seeds_passing(records, by, spec.threshold)
    return "\n".join(lines) + "\n"


def shape_verdicts(records: list[dict], by: str | None, base_model: str | None) -> list[str]:
    """One line per row of the minimum-depth table (an ablation's budgets stay apart): its minimum depth by length
    and whether it shows the paper's shape for its architecture (`base_model`: the config's own, for points that
    do not sweep the model)."""
    curves: dict[tuple, list] = {}
    keys = column_keys([r["point"] for r in records], by)
    for r in (r for r in records if not r.get("incomplete")):
        arch = model_name(point_model(r["point"])) or base_model or "?"
        row = row_label(r["point"], by, columns=keys)
        if not point_model(r["point"]):  # the model is the base config's: the row label does not name it
            row = " · ".join(part for part in (row, arch) if part)
        curves.setdefault((row, arch), []).append((column(length_of(r["point"], by)), r["min"]))
    lines = []
    for (row, arch), points in curves.items():
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
        lines.append(f"* {row}: {shown} -> {verdict}")
    return lines


def seeds_passing(records: list[dict], by: str | None, threshold: float) -> list[str]:
    """Per point and length, the seeds reaching the threshold at each depth tried ("1/3"; the search stops at the
    first depth whose mean over seeds passes): a minimum that rests on one seed shows as such."""
    depths = list(dict.fromkeys(d for r in records for d in r["scores"]))
    keys = column_keys([r["point"] for r in records], by)
    rows = [[row_label(r["point"], by, columns=keys), column(length_of(r["point"], by)),
             *(f"{sum(s >= threshold for s in r['scores'][d])}/{len(r['scores'][d])}" if d in r["scores"] else ""
               for d in depths)] for r in records]
    return ["", f"## Seeds reaching {threshold:g} at each depth tried", "",
            *table(["point", "length", *(f"depth {d}" for d in depths)], rows)]


register(__name__, illusion_of_state, order=1)

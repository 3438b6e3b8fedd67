"""The benchmark scorecard: models x tasks, in and out of distribution, as JSON, Markdown and two plots.

`scorecard` turns each cell's per-seed `Results` into numbers that compare across tasks; everything else renders
that JSON, so ``scorecard.json`` alone rebuilds the tables and plots.

* score: the chance-corrected accuracy ``(acc - chance) / (1 - chance)`` of one split (`stats.chance`; the
  suite's ``score`` picks token, sequence or final-state accuracy): 0 is the best constant answer, 1 perfect.
  Several seeds: their mean and 95 % Student's t interval (`intervals.seed_interval`, the top clipped at 1); one
  seed: its score and the 95 % Wilson interval of its accuracy, corrected the same way.
* robust longest length: the longest L such that every length bin with enough rows up to L, over the
  in-distribution and out-of-distribution test splits together, has sequence accuracy >= the threshold
  (`length_bins.binned_max_length_at_threshold`); median and range over seeds.
* recurrent state: ``Results.state_size`` where the run recorded it (``total`` numbers carried from token to
  token, ``grows_with_length``, ``how``); unknown otherwise.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..core.files import atomic_write
from ..stats.chance import chance_corrected
from ..stats.intervals import seed_interval
from ..stats.length_bins import binned_max_length_at_threshold
from .plots import figure, palette
from .results import Results, strict_json, table

SPLITS = {"in_distribution": "in distribution (the training lengths)",
          "out_of_distribution": "out of distribution (longer than training)"}


def split_score(metrics: dict, score: str) -> dict:
    """One run's score on one split: the corrected value, the raw accuracy, its chance and the corrected Wilson
    interval (None where the results predate chance levels)."""
    corrected = (metrics.get("chance_corrected_accuracy") or {}).get(score)
    chance = (metrics.get("chance") or {}).get(score)
    ci = metrics.get(f"{score}_ci")
    wilson = None if chance is None or not ci or chance >= 1 else [chance_corrected(v, chance) for v in ci]
    return {"score": corrected, "accuracy": metrics.get(score), "chance": chance, "wilson": wilson}


def combine(per_seed: list[dict]) -> dict:
    """Per-seed split scores -> mean, interval and the per-seed values."""
    values = [s["score"] for s in per_seed]
    out = {"per_seed": values, "accuracy": [s["accuracy"] for s in per_seed],
           "chance": [s["chance"] for s in per_seed], "mean": None, "interval": None}
    if any(v is None for v in values):
        return out
    mean, lo, hi = seed_interval(values)
    interval = [lo, min(hi, 1.0)] if len(values) > 1 else per_seed[0]["wilson"]
    return {**out, "mean": mean, "interval": interval,
            "interval_kind": "95 % t over seeds" if len(values) > 1 else "95 % Wilson of the test rows"}


def longest_length(results: Results, splits: list[str], threshold: float) -> int | None:
    """The robust longest length over the bins of `splits` together (None where no bin has enough rows)."""
    parts = [results.splits[s] for s in splits if s in results.splits]
    bins = sorted((b for m in parts for b in m.get("by_bin") or []), key=lambda b: b["lengths"][0])
    binning = parts[0].get("binning") or {} if parts else {}
    return binned_max_length_at_threshold(bins, threshold, bound=binning.get("bound", "point"),
                                          min_rows=binning.get("min_rows", 20))


def spread(values: list) -> dict:
    known = [v for v in values if v is not None]
    return {"per_seed": values, "median": float(np.median(known)) if known else None,
            "min": min(known) if known else None, "max": max(known) if known else None}


def cell(runs: list[Results], task: dict, score: str, threshold: float) -> dict:
    """One model on one task, over its seeds."""
    ood = task["ood_split"]
    return {"seeds": [r.seed for r in runs], "num_parameters": runs[0].num_parameters,
            "in_distribution": combine([split_score(r.splits["test"], score) for r in runs]),
            "out_of_distribution": combine([split_score(r.splits[ood], score) for r in runs]),
            "longest_length": spread([longest_length(r, ["test", ood], threshold) for r in runs]),
            "state_size": runs[0].state_size, "train_s": [r.train["runtime_s"] for r in runs if r.train]}


def scorecard(meta: dict, tasks: list[dict], models: list[dict], cells: dict) -> dict:
    """The scorecard's JSON. `meta`: suite, description, scale, score, threshold, seeds, budget ({model, parameters,
    per_task, note});
    `tasks`: {id, class, task,
    train_length, ood_length, ood_split}; `models`: {id, spec, model}; `cells`: (model id, task id) -> {runs:
    per-seed Results (empty unless every seed finished), failed: {seed: error}, hidden_size, budget_parameters}."""
    out = {}
    for model in models:
        for task in tasks:
            given = cells[(model["id"], task["id"])]
            entry = cell(given["runs"], task, meta["score"], meta["threshold"]) if given["runs"] else {}
            out.setdefault(model["id"], {})[task["id"]] = {
                **entry, "hidden_size": given.get("hidden_size"), "budget_parameters": given.get("budget_parameters"),
                "failed": given.get("failed") or {}}
    return {**meta, "tasks": tasks, "models": models, "cells": out}


def fmt(value, digits: int = 2) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def score_text(entry: dict | None) -> str:
    """"0.93 [0.85, 1.00]", "n/a", or "failed"."""
    if entry is None:
        return "failed"
    interval = entry.get("interval")
    return fmt(entry["mean"]) + (f" [{fmt(interval[0])}, {fmt(interval[1])}]" if interval else "")


def model_label(card: dict, model: dict) -> str:
    widths = sorted({c.get("hidden_size") for c in card["cells"][model["id"]].values()} - {None})
    return model["spec"] + (f" (H{'/'.join(map(str, widths))})" if widths else "")


def mean_over_tasks(card: dict, model_id: str, split: str) -> float | None:
    values = [(c.get(split) or {}).get("mean") for c in card["cells"][model_id].values()]
    return None if not values or None in values else float(np.mean(values))


def state_text(state) -> tuple[str, str]:
    if not state:
        return "unknown", "unknown"
    total = state.get("total")
    grows = "grows with length" if state.get("grows_with_length") else "fixed"
    return ("unknown" if total is None else f"{total:,}"), grows


def header(card: dict) -> list[str]:
    """The title, the suite's description and what the numbers are."""
    seeds = card["seeds"]
    kind = "mean over seeds [95 % t interval]" if len(seeds) > 1 else "one seed [95 % Wilson interval of its rows]"
    title = f"# Benchmark scorecard: suite {card['suite']}" + (f", {card['scale']} scale" if card["scale"] else "")
    about = card.get("description") or ""
    return [title, "", *([f"{about[0].upper()}{about[1:]}.", ""] if about else []),
            f"Score: chance-corrected {card['score'].replace('_', ' ')}, (acc - chance) / (1 - chance): 0 is the best "
            f"constant answer, 1 perfect; {kind}; seeds {', '.join(map(str, seeds))}. {card['budget']['note']}", ""]


def scorecard_markdown(card: dict) -> str:
    tasks, models, cells = card["tasks"], card["models"], card["cells"]
    lines = header(card)
    for split, title in SPLITS.items():
        lines += [f"## {title[0].upper()}{title[1:]}", ""]
        rows = [[model_label(card, m), *(score_text(None if cells[m["id"]][t["id"]].get("failed") else
                                                    cells[m["id"]][t["id"]].get(split)) for t in tasks),
                 fmt(mean_over_tasks(card, m["id"], split))] for m in models]
        lines += table(["model", *(t["id"] for t in tasks), "mean"], rows) + [""]
    lines += ["## Robust longest length", "",
              f"The longest L with sequence accuracy >= {card['threshold']:g} in every length bin up to L, in and out "
              "of distribution together: median over seeds (min..max); the header gives the longest length "
              "tested.", ""]
    rows = [[model_label(card, m), *(length_text(cells[m["id"]][t["id"]]) for t in tasks)] for m in models]
    lines += table(["model", *(f"{t['id']} (≤{t['ood_length'][1]})" for t in tasks)], rows) + [""]
    lines += ["## Models", ""]
    rows = []
    for m in models:
        first = next(iter(cells[m["id"]].values()))
        size, grows = state_text(first.get("state_size"))
        rows.append([m["spec"], grows, (first.get("state_size") or {}).get("how", "unknown"),
                     f"{first['num_parameters']:,}" if first.get("num_parameters") else "n/a",
                     f"{first['budget_parameters']:,}" if first.get("budget_parameters") else "n/a", size])
    lines += table(["model", "state", "how the state was counted", "parameters (first task)",
                    "without embedding tables", "recurrent state size"], rows, numeric_from=3) + [""]
    lines += ["## Tasks", ""]
    rows = [[t["id"], t["class"], "-".join(map(str, t["train_length"])), "-".join(map(str, t["ood_length"])),
             chance_text(card, t, "in_distribution"), chance_text(card, t, "out_of_distribution")] for t in tasks]
    lines += table(["task", "class", "train (and in-distribution test) lengths", "out-of-distribution lengths",
                    "chance in", "chance out"], rows, numeric_from=4)
    failed = [(m["id"], t["id"], seed, error) for m in models for t in tasks
              for seed, error in cells[m["id"]][t["id"]].get("failed", {}).items()]
    if failed:
        lines += ["", f"{len(failed)} run{'s' * (len(failed) != 1)} failed or did not finish (run the same command "
                  "again to retry them):", ""]
        lines += [f"* {task}-{model} {seed}: {error}" for model, task, seed, error in failed]
    return "\n".join(lines) + "\n"


def length_text(entry: dict) -> str:
    spread_ = entry.get("longest_length")
    if entry.get("failed") or not spread_ or spread_["median"] is None:
        return "failed" if entry.get("failed") else "n/a"
    if len(spread_["per_seed"]) == 1 or spread_["min"] == spread_["max"]:
        return f"{spread_['median']:g}"
    return f"{spread_['median']:g} ({spread_['min']}..{spread_['max']})"


def chance_text(card: dict, task: dict, split: str) -> str:
    """The task's chance level on a split (from its first finished cell; it depends on the data, not the model)."""
    for cells in card["cells"].values():
        chance = (cells[task["id"]].get(split) or {}).get("chance")
        if chance and chance[0] is not None:
            return fmt(float(np.mean(chance)))
    return "n/a"


def plot_heatmap(card: dict, path: Path) -> None:
    """Models x tasks, in and out of distribution side by side: the mean score, written in each cell."""
    import matplotlib

    tasks, models = card["tasks"], card["models"]
    with figure(path, panels=2) as axes:
        for ax, (split, title) in zip(axes, SPLITS.items()):
            values = np.array([[np.nan if (v := (card["cells"][m["id"]][t["id"]].get(split) or {}).get("mean")) is None
                                else v for t in tasks] for m in models])
            image = ax.imshow(np.clip(values, 0, 1), vmin=0, vmax=1, aspect="auto",
                              cmap=matplotlib.colormaps["viridis"].with_extremes(bad="lightgrey"))
            for (i, j), v in np.ndenumerate(values):
                ax.text(j, i, "n/a" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if np.isnan(v) or v > 0.6 else "white")
            ax.set_xticks(range(len(tasks)), [t["id"] for t in tasks], rotation=45, ha="right", fontsize=8)
            ax.set_yticks(range(len(models)), [m["spec"] for m in models], fontsize=8)
            ax.set_title(title, fontsize=9)
        ax.figure.colorbar(image, ax=axes[-1], label=f"chance-corrected {card['score'].replace('_', ' ')}")
        ax.figure.suptitle(f"Benchmark scorecard: {card['suite']}" + (f" ({card['scale']})" if card["scale"] else ""))


def plot_state_size(card: dict, path: Path) -> None:
    """Mean score over tasks against the recurrent state size (numbers carried from token to token): hollow in
    distribution, filled out of it; models whose state grows with the length, or is unknown, at the right."""
    models = card["models"]
    known = {m["id"]: s for m in models if (s := state_of(card, m["id"])) and s.get("total")
             and not s.get("grows_with_length")}
    logs = [math.log10(s["total"]) for s in known.values()]
    right = (max(logs) if logs else 0) + 1
    colors = palette(m["id"] for m in models)
    scores = [v for m in models for split in SPLITS if (v := mean_over_tasks(card, m["id"], split)) is not None]
    with figure(path) as ax:
        for m in models:
            state = state_of(card, m["id"])
            x = math.log10(known[m["id"]]["total"]) if m["id"] in known else \
                right + (0 if state and state.get("grows_with_length") else 1)
            for split, fill in (("in_distribution", "none"), ("out_of_distribution", colors[m["id"]])):
                y = mean_over_tasks(card, m["id"], split)
                if y is not None:
                    ax.scatter([x], [y], s=40, facecolors=fill, edgecolors=colors[m["id"]],
                               label=m["spec"] if split == "out_of_distribution" else None)
        ticks = sorted({math.floor(v) for v in logs})
        ax.set_xticks([*ticks, right, right + 1], [*(f"1e{t}" for t in ticks), "grows with\nlength", "unknown"],
                      fontsize=8)
        ax.set_ylim(min([-0.05, *scores]) - 0.05, 1.05)  # the whole score range, negative scores too
        ax.set(xlabel="recurrent state size (numbers carried per token, log scale)",
               ylabel=f"mean chance-corrected {card['score'].replace('_', ' ')}",
               title="score against state size (hollow: in distribution; filled: out of distribution)")
        ax.title.set_size(9)
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def state_of(card: dict, model_id: str) -> dict | None:
    """A model's state size as its first finished cell recorded it."""
    return next((c["state_size"] for c in card["cells"][model_id].values() if c.get("state_size")), None)


def write_scorecard(card: dict, root: Path) -> Path:
    """scorecard.json / .md, scorecard.png and score_by_state_size.png in `root`; the JSON last."""
    root.mkdir(parents=True, exist_ok=True)
    atomic_write(root / "scorecard.md", scorecard_markdown(card))
    plot_heatmap(card, root / "scorecard.png")
    plot_state_size(card, root / "score_by_state_size.png")
    atomic_write(root / "scorecard.json", strict_json(card))
    return root / "scorecard.md"

"""Probe outputs: probe_results.json (everything), probe_results.md (for people), probe_accuracy_by_layer.png.

Accuracies are per layer (0 = embeddings, l = output of block l) for each probe: ``model`` (the
checkpoint's features), ``random_init`` (the same architecture freshly initialised) and ``shuffled``
(the checkpoint's features, train labels permuted). ``chance`` is the majority-class frequency on test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..reporting.plots import figure
from ..reporting.results import Results, percent, table

PROBE_TITLES = {"model": "model", "random_init": "random init", "shuffled": "shuffled"}


def breakdown(correct: np.ndarray, keys: np.ndarray) -> dict[str, float]:
    """Accuracy per distinct key, e.g. per length: {"2": 1.0, "3": 0.5}."""
    return {str(k): float(correct[keys == k].mean()) for k in np.unique(keys)}


def summarise(correct_by_layer: dict[str, list[np.ndarray]], labels: dict[str, np.ndarray]) -> dict:
    """Per probe, per layer: accuracy, accuracy by length and by answer position."""
    return {what: {probe: [breakdown(c, labels[key]) if key else float(c.mean()) for c in layers]
                   for probe, layers in correct_by_layer.items()}
            for what, key in (("accuracy", None), ("by_length", "length"), ("by_position", "position"))}


def layer_names(num_layers: int) -> list[str]:
    return ["embeddings", *(f"layer {i}" for i in range(1, num_layers))]


def best_layer(results: Results) -> int:
    return int(np.argmax(results.probe["accuracy"]["model"]))


def markdown(results: Results) -> str:
    probe = results.probe
    probes = list(probe["accuracy"])
    lines = [f"# {results.title}", "", f"{results.description}; chance (majority class on test) "
             f"{percent(probe['chance'])} %; wall time {results.wall_time_s:.0f} s.", ""]
    lines += table(["layer", *(f"{PROBE_TITLES[p]} %" for p in probes)],
                   [[f"{i} ({name})", *(percent(probe["accuracy"][p][i]) for p in probes)]
                    for i, name in enumerate(probe["layers"])])
    best = best_layer(results)
    for what, key in (("by_length", "length"), ("by_position", "answer position")):
        lines += ["", f"## model probe at layer {best} (best): accuracy by {key}", ""]
        lines += table([key, "accuracy %"], [[k, percent(v)] for k, v in probe[what]["model"][best].items()],
                       numeric_from=0)
    return "\n".join(lines) + "\n"


def plot_by_layer(results: Results, out: Path) -> None:
    probe = results.probe
    with figure(out / "probe_accuracy_by_layer.png") as ax:
        for name, accuracy in probe["accuracy"].items():
            ax.plot(range(len(accuracy)), accuracy, marker="o", ms=3, label=PROBE_TITLES[name])
        ax.axhline(probe["chance"], color="grey", lw=0.8, ls="--", label="chance")
        ax.set_xticks(range(len(probe["layers"])))
        ax.set(xlabel="layer (0 = embeddings)", ylabel="probe accuracy (test)", ylim=(-0.02, 1.02),
               title=results.title)
        ax.legend(fontsize=8, loc="best")


def write_probe_results(results: Results) -> None:
    """probe_results.json, probe_results.md and probe_accuracy_by_layer.png in `results.output_dir`."""
    results.write(markdown=markdown(results), plot=plot_by_layer)

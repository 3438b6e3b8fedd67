"""Plots of accuracy by length that show how sure each number is (matplotlib, headless Agg backend).

`plot_by_length` draws sequence accuracy (left) and token accuracy (right) over length bins of at least
``min_rows`` rows (`length_bins`), each point at the middle of its bin. One run: a line and its 95 % Wilson
band. Several seeds of a run: the mean over seeds and a band from the lowest to the highest seed (min..max),
on bins shared by the seeds (each holds ``min_rows`` rows in every seed). A thin axis under each panel
gives the rows (sequence) or scored positions (token) per bin; the threshold line is labelled; the legend
sits outside the data; a run keeps its colour in every panel (and, given ``colors``, in every figure).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..core.files import atomic_path
from ..stats.length_bins import Binning, bin_counts, by_length_counts, contiguous_bins

# (accuracy key, panel title, the entry key of what it counts, what that is called)
PANELS = (("sequence_accuracy", "sequence accuracy", "count", "rows"),
          ("token_accuracy", "token accuracy", "positions", "positions"))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def saved(fig, path: Path) -> None:
    """Save under a temporary name, rename into place (never a half-written plot), close."""
    try:
        with atomic_path(path) as tmp:  # a unique temporary: two sweeps may save the same plot at once
            fig.savefig(tmp, dpi=120, bbox_inches="tight")  # "tight": a legend outside the axes is kept
    finally:
        _pyplot().close(fig)


@contextmanager
def figure(path: Path, panels: int = 1):
    """Matplotlib axes (a list of `panels` side by side when panels > 1) whose figure is laid out and saved
    to `path` afterwards."""
    fig, axes = _pyplot().subplots(1, panels, figsize=(7, 4.2) if panels == 1 else (4.6 * panels, 4.2),
                                   squeeze=False)
    yield axes[0, 0] if panels == 1 else list(axes[0])
    fig.tight_layout()
    saved(fig, path)


def palette(labels) -> dict[str, str]:
    """One colour per label, in order of first appearance (tab10, then tab20 for more)."""
    labels = list(dict.fromkeys(labels))
    cmap = _pyplot().get_cmap("tab10" if len(labels) <= 10 else "tab20")
    return {label: cmap(i % cmap.N) for i, label in enumerate(labels)}


def shared_bins(runs: list[dict]) -> tuple[list[tuple[int, int]], list[list[dict]]]:
    """Bins every run holds ``min_rows`` rows in (adaptive bins over the smallest per-length count among the
    runs, or the runs' fixed edges), and each run's entries on them: ([(first, last)], [[entry per bin]])."""
    settings = runs[0].get("binning") or {}
    binning = Binning.of(settings.get("min_rows"), settings.get("bin_edges"))
    tables = [{int(k): v for k, v in run["by_length"].items()} for run in runs]
    lengths = sorted(set().union(*tables))
    if binning.bin_edges is None:
        fewest = [min(t.get(n, {}).get("count", 0) for t in tables) for n in lengths]
        edges = tuple(lengths[a] for a, _ in contiguous_bins(fewest, binning.min_rows)[1:])
        binning = Binning(binning.min_rows, edges or None)
    spans: dict[tuple, list] = {}
    for i, table in enumerate(tables):
        own, counts = by_length_counts(table)
        edges = binning.bin_edges or (lengths[-1] + 1,)
        for entry in bin_counts(own, counts, Binning(binning.min_rows, edges)):
            key = int(np.searchsorted(edges, entry["lengths"][0], side="right"))
            spans.setdefault(key, [None] * len(tables))[i] = entry
    keys = sorted(spans)
    bounds = [(min(e["lengths"][0] for e in spans[k] if e), max(e["lengths"][1] for e in spans[k] if e)) for k in keys]
    return bounds, [[spans[k][i] for k in keys] for i in range(len(tables))]


def _curve(ax, rows_ax, runs: list[dict], key: str, total: str, color, label: str) -> bool:
    """One run's (or seeds') line, band and counts per bin on one panel; False if the runs lack `key`."""
    bounds, per_run = shared_bins(runs)
    values = np.array([[np.nan if e is None or e[key] is None else e[key] for e in bins] for bins in per_run])
    if np.isnan(values).all():
        return False
    x = np.array([(lo + hi) / 2 for lo, hi in bounds])
    if len(runs) == 1:
        low, high = (np.array([np.nan if e is None or e[f"{key}_ci"] is None else e[f"{key}_ci"][i]
                               for e in per_run[0]]) for i in (0, 1))
        band = "95 % Wilson"
    else:
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        band = f"min..max of {len(runs)} seeds"
    with warnings.catch_warnings():  # a bin no seed has a value in (older results) is a gap, not a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
    ax.plot(x, mean, marker="o", ms=3, color=color,
            label=f"{label} ({'mean, ' if len(runs) > 1 else ''}band: {band})")
    ax.fill_between(x, low, high, color=color, alpha=0.2, lw=0)
    counts = [np.mean([e[total] for e in bins if e is not None and e[total] is not None] or [np.nan])
              for bins in zip(*per_run)]
    rows_ax.step(x, counts, where="mid", color=color, lw=1)
    return True


def plot_by_length(curves: dict[str, list[dict]], threshold: float, path: Path, title: str,
                   colors: dict | None = None) -> None:
    """`curves`: label -> the split metrics (`scoring.compute_metrics`) of each seed of one run."""
    plt = _pyplot()
    curves = {label: [r for r in runs if r.get("by_length")] for label, runs in curves.items()}
    curves = {label: runs for label, runs in curves.items() if runs}
    colors = {**palette(curves), **(colors or {})}
    fig, axes = plt.subplots(2, 2, figsize=(11, 5.2), sharex="col", squeeze=False,
                             gridspec_kw={"height_ratios": [4, 1], "hspace": 0.08})
    for column, (key, name, total, counted) in enumerate(PANELS):
        ax, rows_ax = axes[0, column], axes[1, column]
        drawn = [_curve(ax, rows_ax, runs, key, total, colors[label], label) for label, runs in curves.items()]
        if curves and not any(drawn):
            ax.text(0.5, 0.5, f"no {counted} per length stored\n(results from an older release)",
                    transform=ax.transAxes, ha="center", va="center", color="grey")
        ax.set(ylabel=name, ylim=(-0.02, 1.02), title=name)
        rows_ax.set(xlabel="sequence length (middle of each bin)", ylabel=f"{counted}\nper bin")
        rows_ax.set_ylim(bottom=0)
        rows_ax.tick_params(labelsize=7)
        rows_ax.yaxis.label.set_size(7)
    seq_ax = axes[0, 0]
    seq_ax.axhline(threshold, color="grey", lw=0.8, ls=":")
    seq_ax.annotate(f"threshold {threshold:g}", (1.0, threshold), xycoords=("axes fraction", "data"),
                    xytext=(-2, 3), textcoords="offset points", ha="right", fontsize=7, color="grey")
    fig.suptitle(title)
    handles, labels = seq_ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.99, 0.9), fontsize=7, frameon=False)
    saved(fig, path)

"""Write what a run produced: results.json (everything), results.md (for people), accuracy_by_length.png."""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from pathlib import Path

from .scoring import SUMMARY_KEYS


def percent(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}"


def markdown(results: dict) -> str:
    threshold, train = results["threshold"], results.get("train")
    speed = f"; {train['tokens_per_s']:.0f} train tokens/s" if train else ""
    lines = [f"# {results['title']}", "", f"{results['description']}; wall time {results['wall_time_s']:.0f} s{speed}.",
             "", f"| split | lengths | rows | token acc % | sequence acc % | final-state acc % | "
             f"longest length with seq acc ≥ {threshold:g} |", "|---|---|---:|---:|---:|---:|---:|"]
    for split, m in results["splits"].items():
        lengths = [int(k) for k in m["by_length"]]
        span = f"{min(lengths)}-{max(lengths)}" if lengths else "-"
        lines.append(f"| {split} | {span} | {m['num_sequences']} | " + " | ".join(percent(m[k]) for k in SUMMARY_KEYS)
                     + f" | {m['max_length_at_threshold']} |")
    for split, m in results["splits"].items():
        if split == "validation":
            continue
        lines += ["", f"## {split}: accuracy by length", "",
                  "| length | rows | token acc % | sequence acc % | final-state acc % |", "|---:|---:|---:|---:|---:|"]
        for length, row in m["by_length"].items():
            lines.append(f"| {length} | {row['count']} | " + " | ".join(percent(row[k]) for k in SUMMARY_KEYS) + " |")
    return "\n".join(lines) + "\n"


@contextmanager
def figure(path: Path):
    """A matplotlib axes (headless backend) whose figure is laid out, saved to `path` and closed afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    yield ax
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_by_length(curves: dict[str, dict], threshold: float, path: Path, title: str) -> None:
    """One line per curve (label -> by_length metrics): sequence accuracy solid, token accuracy dashed."""
    with figure(path) as ax:
        for label, by_length in curves.items():
            lengths = [int(k) for k in by_length]
            line, = ax.plot(lengths, [by_length[k]["sequence_accuracy"] for k in by_length], marker="o", ms=3,
                            label=f"{label} (sequence)")
            ax.plot(lengths, [by_length[k]["token_accuracy"] for k in by_length], ls="--", color=line.get_color(),
                    alpha=0.6, label=f"{label} (token)")
        ax.axhline(threshold, color="grey", lw=0.8, ls=":")
        ax.set(xlabel="sequence length", ylabel="accuracy", ylim=(-0.02, 1.02), title=title)
        ax.legend(fontsize=7, loc="lower left")


def write_outputs(output_dir: str | Path, results: dict, stem: str, text: str) -> Path:
    """<stem>.json (everything) and <stem>.md (for people) in `output_dir`; returns the folder for the plot."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2, default=str))
    (out / f"{stem}.md").write_text(text)
    return out


def write_results(output_dir: str | Path, results: dict) -> None:
    out = write_outputs(output_dir, results, "results", markdown(results))
    curves = {split: m["by_length"] for split, m in results["splits"].items()}
    plot_by_length(curves, results["threshold"], out / "accuracy_by_length.png", results["title"])


def environment_versions() -> dict:
    import importlib.metadata as md
    import platform

    packages = ("hf-statetrack", "torch", "transformers", "datasets", "accelerate", "evaluate", "numpy")
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    return versions

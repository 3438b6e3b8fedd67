"""The one results record every command writes and reads, and what is built from it.

`statetrack train` (kind ``train``), fine-tuning (``finetune``), checkpoint evaluation (``eval``),
in-context evaluation (``incontext``) and probes (``probe``) each return a `Results` and write it as
``results.json`` (probes: ``probe_results.json``); sweeps summarise from these records, so a sweep can
be summarised again from its folders. Table columns come from `scoring.SUMMARY_TITLES`: adding a metric
there adds it to every table.

>>> r = Results(kind="eval", title="S5 · ckpt", description="checkpoint ckpt on S5", task={"name": "S5"},
...             model="ckpt", seed=0, threshold=0.9, splits={})
>>> Results.from_dict(r.to_dict()) == r
True
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import StateTrackError
from ..core.files import atomic_write
from ..stats.scoring import SUMMARY_KEYS, SUMMARY_TITLES, completed
from .plots import plot_by_length

KINDS = ("train", "finetune", "eval", "incontext", "probe")
COMMANDS = {"train": "train", "finetune": "train", "eval": "eval", "incontext": "eval", "probe": "probe"}  # who writes


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


@dataclass
class Results:
    kind: str  # one of KINDS
    title: str
    description: str
    task: dict  # {"name": ..., "task_params": ...} and, for trained runs, every generation parameter
    model: str  # a checkpoint path or Hub id; for runs trained here, the model label ("lstm-L1-H128")
    seed: int
    threshold: float | None = None  # of the longest-length statistic
    splits: dict[str, dict] = field(default_factory=dict)  # split -> scoring.compute_metrics output
    settings: dict = field(default_factory=dict)  # kind-specific inputs: the experiment config, shots and mode, ...
    train: dict | None = None  # runtime_s, epochs, steps, loss, tokens_per_s
    num_parameters: int | None = None
    trainable_parameters: int | None = None
    probe: dict | None = None  # probes: layers, accuracy / by_length / by_position per probe and layer, chance
    # train runs: numbers carried from one token to the next, {"per_layer": [int] or None, "total": int or None,
    # "grows_with_length": bool, "how": str}; per_layer None and not growing = not known (models/state_size.py)
    state_size: dict | None = None
    world_size: int = 1
    wall_time_s: float = 0.0
    versions: dict = field(default_factory=environment_versions)
    output_dir: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise StateTrackError(f"results kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Results:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise StateTrackError(f"not a hf_statetrack results record: unknown field {unknown[0]!r}")
        splits = {name: completed(m, data.get("threshold")) if isinstance(m, dict) else m
                  for name, m in (data.get("splits") or {}).items()}  # older records lack intervals and bins
        return cls(**{**data, "splits": splits})

    @classmethod
    def read(cls, path: str | Path) -> Results:
        """A results.json file, or a run folder holding one (or probe_results.json)."""
        path = Path(path)
        if path.is_dir():
            path = next((path / n for n in ("results.json", "probe_results.json") if (path / n).is_file()),
                        path / "results.json")
        try:
            return cls.from_dict(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError) as err:
            raise StateTrackError(f"cannot read results from {path}: {err}") from None

    @property
    def stem(self) -> str:
        return "probe_results" if self.kind == "probe" else "results"

    def write(self, output_dir: str | Path | None = None, markdown: str | None = None, plot=None) -> Path:
        """<stem>.json, <stem>.md and a plot into `output_dir` (default: `self.output_dir`). The Markdown and
        plot default to the split tables and accuracy by length (probes pass their own). Every file is
        written under a temporary name and renamed, so a killed run never leaves a cut file; the JSON comes
        last, so a folder with <stem>.json also holds the table and the plot."""
        out = Path(output_dir or self.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(out / f"{self.stem}.md", splits_markdown(self) if markdown is None else markdown)
        (plot or plot_splits)(self, out)
        atomic_write(out / f"{self.stem}.json", strict_json(self.to_dict()))
        return out


def strict_json(data) -> str:
    """JSON that every parser reads: a NaN or infinite number (a diverged loss) is written as null."""
    def finite(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: finite(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [finite(v) for v in value]
        return value

    return json.dumps(finite(data), indent=2, default=str, allow_nan=False)


def check_results_folder(folder: Path, kind: str) -> None:
    """`folder` may take `kind`'s results: it holds none of that file name, or ones the same command wrote (a
    repeated evaluation); never a training run's results replaced by an evaluation's."""
    stem = "probe_results" if kind == "probe" else "results"
    try:
        theirs = json.loads((Path(folder) / f"{stem}.json").read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        return
    if COMMANDS.get(theirs, theirs) != COMMANDS[kind]:
        raise StateTrackError(f"{folder} holds the results of a {theirs} run ({stem}.json), which these {kind} "
                              f"results would replace; choose another --output-dir")


def percent(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}"


def metric_header(prefix: str = "") -> str:
    """The metric columns of a table: "token acc % | sequence acc % | ..." (with a prefix such as "test ")."""
    return " | ".join(f"{prefix}{title} %" for title in SUMMARY_TITLES.values())


def with_interval(value, interval) -> str:
    """Percent with its interval when known: "91.0 [88.2, 93.2]"."""
    if value is None or not interval:
        return percent(value)
    return f"{percent(value)} [{percent(interval[0])}, {percent(interval[1])}]"


def metric_cells(metrics: dict) -> str:
    """The accuracy cells of a row, each with its 95 % Wilson interval where the metrics hold one."""
    return " | ".join(with_interval(metrics.get(k), metrics.get(f"{k}_ci")) for k in SUMMARY_KEYS)


def longest_headers(threshold: float) -> list[str]:
    """The columns of the two longest-length statistics (`scoring.compute_metrics`)."""
    return [f"longest length, seq acc ≥ {threshold:g} per length", "same over length bins"]


def binning_note(splits: dict) -> str:
    """One line on how the bins of these splits were made (from the first split that says)."""
    b = next((m["binning"] for m in splits.values() if m.get("binning")), None)
    if b is None:
        return ""
    bins = f"fixed bins starting at {b['bin_edges']}" if b["bin_edges"] else f"bins of at least {b['min_rows']} rows"
    bound = "its 95 % Wilson lower bound" if b["bound"] == "lower" else "the point estimate"
    return (f"Length bins: {bins}; the binned longest length reads {bound} of every bin with {b['min_rows']} rows "
            f"or more. Intervals: 95 % Wilson [lo, hi]; token intervals treat positions as independent (too narrow).")


def table(header: list[str], rows: list[list], numeric_from: int = 1) -> list[str]:
    """Markdown lines of a table; columns from `numeric_from` on are right-aligned."""
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(map(str, row)) + " |" for row in rows)]


def splits_markdown(results: Results) -> str:
    train = results.train
    speed = f"; {train['tokens_per_s']:.0f} train tokens/s" if train else ""
    metrics = metric_header().split(" | ")
    lines = [f"# {results.title}", "", f"{results.description}; wall time {results.wall_time_s:.0f} s{speed}.", ""]
    if results.state_size:
        lines += [state_line(results.state_size), ""]
    rows = []
    for split, m in results.splits.items():
        lengths = [int(k) for k in m["by_length"]]
        rows.append([split, f"{min(lengths)}-{max(lengths)}" if lengths else "-", m["num_sequences"],
                     m.get("num_scored_tokens", "n/a"), metric_cells(m), m["max_length_at_threshold"],
                     "n/a" if m.get("binned_max_length_at_threshold") is None else m["binned_max_length_at_threshold"]])
    lines += table(["split", "lengths", "rows", "positions", *metrics, *longest_headers(results.threshold)], rows,
                   numeric_from=2)
    note = binning_note(results.splits)
    lines += ["", note] if note else []
    for split, m in results.splits.items():
        if split == "validation":
            continue
        if m.get("by_bin"):
            lines += ["", f"## {split}: accuracy by length bin", ""]
            lines += table(["lengths", "rows", "positions", *metrics],
                           [[f"{b['lengths'][0]}-{b['lengths'][1]}", b["count"], b.get("positions") or "n/a",
                             metric_cells(b)] for b in m["by_bin"]], numeric_from=0)
        lines += ["", f"## {split}: accuracy by length", ""]
        lines += table(["length", "rows", *metrics], [[length, row["count"], metric_cells(row)]
                                                      for length, row in m["by_length"].items()], numeric_from=0)
    return "\n".join(lines) + "\n"


def state_line(state: dict) -> str:
    """results.md's line for a `state_size` record.

    >>> state_line({"per_layer": [8, 8], "total": 16, "grows_with_length": False, "how": "GRU: h per layer"})
    'Recurrent state: 16 numbers carried from token to token (8, 8 per layer; GRU: h per layer).'
    """
    if state["total"] is not None:
        layers = ", ".join(map(str, state["per_layer"]))
        return f"Recurrent state: {state['total']:,} numbers carried from token to token ({layers} per layer; " \
               f"{state['how']})."
    grows = "grows with length: " if state["grows_with_length"] else ""  # else `how` says "not known"
    return f"Recurrent state: {grows}{state['how']}."


def plot_splits(results: Results, out: Path) -> None:
    curves = {split: [m] for split, m in results.splits.items()}
    plot_by_length(curves, results.threshold, out / "accuracy_by_length.png", results.title)

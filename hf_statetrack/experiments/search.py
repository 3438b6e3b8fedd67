"""Minimum-depth search, a sweep feature any config can use (the Illusion of State's headline quantity):

    sweep: {task.name: [Z60, A5], task.train_length: [2, 4, 8], model: [...]}
    search: {min: model.num_layers, values: [1, 2, 3, 4], split: test, metric: sequence_accuracy, threshold: 0.9}

For every grid point the `values` are tried in order; the search stops at the first whose `split` /
`metric`, averaged over the seeds, reaches `threshold`. Writes ``search.json`` (``spec``: the search as it ran,
its length key ``by`` included, so readers never guess it; ``points``: per point the first passing value or null,
the values tried, every seed's score), ``search.md`` (rows: the point without its length; columns: the length;
cells: the minimum or ``>4``) and ``min_depth_by_length.png``.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np

from ..core.files import atomic_write
from ..reporting.plots import figure
from ..reporting.results import strict_json, table
from .grid import Point, attempt, flat, is_variant, stored
from .launchers import Job
from .sweep_config import SearchSpec, length_key


def search_jobs(spec: SearchSpec, points: list[Point], seeds: list[int], root: Path) -> list[Job]:
    """One job per grid point: its values in order, its seeds together; different points run in parallel."""
    return [Job([(spec.at(point, value).name, seed) for value in spec.values for seed in seeds],
                partial(search_job, spec, point, seeds, root)) for point in points]


def search_job(spec: SearchSpec, point: Point, seeds: list[int], root: Path, report) -> None:
    key = (spec.split, spec.metric)
    search_point(spec, point, seeds, root, lambda cfg, name, seed: attempt(cfg, name, seed, key, report))


def with_length(point: Point, by: str | None) -> dict:
    """The point's swept values, plus its `by` value where the base config, not the sweep, set it (a variant
    that changes the length beside points that keep the base's)."""
    if not by or length_of(point.values, by) is not None:
        return point.values
    return {**point.values, by: flat(point.raw).get(by)}


def search_point(spec: SearchSpec, point: Point, seeds: list[int], root: Path, run) -> tuple[dict, dict]:
    """Try the values in order; stop at the first passing one, or at a value with a missing run (``run(cfg,
    name, seed)`` gave None: failed or unfinished). Returns the search.json record and name -> per-seed results."""
    record, trained = {"point": with_length(point, spec.by), "min": None, "tried": [], "scores": {}}, {}
    for value in spec.values:
        candidate = spec.at(point, value)
        runs = [run(candidate.config(root, seed), candidate.name, seed) for seed in seeds]
        record["tried"].append(value)
        if None in runs:
            record["incomplete"] = candidate.name
            break
        trained[candidate.name] = runs
        scores = [float(r.splits[spec.split][spec.metric]) for r in runs]
        record["scores"][str(value)] = scores
        if np.mean(scores) >= spec.threshold:
            record["min"] = value
            break
    return record, trained


def collect_search(spec: SearchSpec, points: list[Point], seeds: list[int], root: Path,
                   failed=()) -> tuple[dict, list]:
    """The search replayed from the run folders (nothing trains): writes search.json/.md/.png; returns every
    finished point -> its per-seed results, and the (point, seed) runs missing where a search had to stop
    (`failed` runs count as missing whatever their folder holds)."""
    summary, records, missing = {}, [], []

    def read(cfg, name, seed):
        results = None if (name, seed) in failed else stored(cfg)
        if results is None:
            missing.append((name, seed))
        return results

    for point in points:
        record, trained = search_point(spec, point, seeds, root, read)
        records.append(record)
        summary.update(trained)
    write_search(root, spec, records)
    return summary, missing


def column(value) -> str:
    """A length as a column title: 4, [4, 4] -> "4"; [2, 8] -> "2-8"."""
    if isinstance(value, list):
        return str(value[0]) if value[0] == value[-1] else f"{value[0]}-{value[-1]}"
    return str(value)


def point_model(values: dict) -> dict:
    """The model section a grid point sweeps (directly or inside a variant), as flat keys without "model."."""
    return {k[len("model."):]: v for k, v in flat(values).items() if k.startswith("model.")}


def length_of(values: dict, by: str | None):
    return flat(values).get(by) if by else None


def row_label(values: dict, by: str | None, with_task: bool = True, columns: set[str] = frozenset()) -> str:
    """The point without its lengths (and the `columns` keys, see `column_keys`): "A5 · transformer-H64" (a swept
    model shows its preset and width)."""
    settings = flat(values)
    model = point_model(values)
    name = model.get("preset") or Path(str(model.get("pretrained"))).name if model else None
    parts = [settings.get("task.name") if with_task else None,
             f"{name}-H{model['hidden_size']}" if name and "hidden_size" in model else name]
    parts += [f"{k.split('.')[-1]} {column(v)}" for k, v in settings.items()
              if k != by and k not in columns and "length" not in k and k != "task.name" and not k.startswith("model.")]
    return " · ".join(p for p in parts if p)


def column_keys(points: list[dict], by: str | None) -> set[str]:
    """The keys that belong to the column, not the row: whatever a variant that sets `by` sets with it in any of
    the points (a length whose data needs its own sizes or epochs, e.g. {task.test_length: 2, task.distinct: true,
    training.num_train_epochs: 40}), so a point keeps one row across its lengths."""
    return {k for values in points for key, value in values.items()
            if is_variant(key) and isinstance(value, dict) and by in flat(value) for k in flat(value)}


def search_markdown(spec: SearchSpec, records: list[dict]) -> str:
    lines = [f"# Minimum {spec.key} reaching {spec.split} {spec.metric} ≥ {spec.threshold:g} (mean over seeds)", ""]
    return "\n".join([*lines, *search_table(spec, records)]) + "\n"


def search_table(spec: SearchSpec, records: list[dict]) -> list[str]:
    """search.md without its title: the minimum by point (rows) and length (columns), and what ? means."""
    columns = list(dict.fromkeys(column(length_of(r["point"], spec.by)) for r in records))
    keys = column_keys([r["point"] for r in records], spec.by)
    cells: dict[str, dict] = {}
    for r in records:
        found = "?" if r.get("incomplete") else r["min"] if r["min"] is not None else f">{spec.values[-1]}"
        row = cells.setdefault(row_label(r["point"], spec.by, columns=keys), {})
        row[column(length_of(r["point"], spec.by))] = found
    header = ["point", *(f"{spec.by.split('.')[-1]} {c}" if spec.by else c for c in columns)]
    lines = table(header, [[label, *(row.get(c, "") for c in columns)] for label, row in cells.items()])
    if any(r.get("incomplete") for r in records):
        lines += ["", "?: a run of that point failed or did not finish (errors in summary.json); run the same "
                      "command again to retry it."]
    return lines


def write_search(root: Path, spec: SearchSpec, records: list[dict]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    atomic_write(root / "search.json", strict_json({"spec": spec.to_dict(), "points": records}))
    atomic_write(root / "search.md", search_markdown(spec, records))
    if spec.by:
        plot_min_by_length(root / "min_depth_by_length.png", spec, records)


def read_search(root: Path, spec: SearchSpec) -> tuple[SearchSpec, list[dict]]:
    """search.json: the search as it ran and its per-point records. A file written before the spec was stored in it
    (a bare list of records) takes `spec` (the sweep's), its length key guessed from the records if it has none."""
    data = json.loads((root / "search.json").read_text())
    if isinstance(data, dict):
        return SearchSpec.from_dict(data["spec"], {}), data["points"]
    by = spec.by or (length_key(data[0]["point"]) if data else None)
    return SearchSpec(spec.key, spec.values, spec.split, spec.metric, spec.threshold, by), data


def plot_min_by_length(path: Path, spec: SearchSpec, records: list[dict]) -> None:
    """One panel per task, one line per architecture (the point without task and length); x = length,
    y = the minimum; a point where no value passed is an x above the top value."""
    top, panels, keys = max(spec.values), {}, column_keys([r["point"] for r in records], spec.by)
    for r in (r for r in records if not r.get("incomplete")):
        length = length_of(r["point"], spec.by)
        panel = panels.setdefault(str(flat(r["point"]).get("task.name", "")), {})
        x = length[-1] if isinstance(length, list) else length
        panel.setdefault(row_label(r["point"], spec.by, with_task=False, columns=keys), []).append((x, r["min"]))
    with figure(path, panels=len(panels)) as axes:
        axes = axes if isinstance(axes, list) else [axes]
        for ax, (task, curves) in zip(axes, panels.items()):
            for i, (label, pts) in enumerate(sorted(curves.items())):
                pts.sort(key=lambda p: (p[0] is None, p[0] or 0))  # by length only: a min may be None
                color = f"C{i}"  # the same architecture keeps its colour in every panel
                shift = 0.06 * (i - (len(curves) - 1) / 2)  # equal minima side by side, not hidden behind each other
                ax.plot([x for x, m in pts if m is not None], [m + shift for _, m in pts if m is not None],
                        marker="o", color=color, label=label)
                failed = [x for x, m in pts if m is None]
                ax.plot(failed, [top + 1 + shift] * len(failed), ls="", marker="x", ms=8, color=color)
            ax.axhline(top + 0.5, color="grey", lw=0.6, ls=":")
            ax.set(xlabel=spec.by.split(".")[-1], ylabel=f"minimum {spec.key.split('.')[-1]}", title=task,
                   yticks=[*spec.values, top + 1], yticklabels=[*map(str, spec.values), f">{top}"],
                   ylim=(min(spec.values) - 0.5, top + 1.5))
        handles = {label: h for ax in axes for h, label in zip(*ax.get_legend_handles_labels())}
        axes[-1].legend(handles.values(), handles.keys(), fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))

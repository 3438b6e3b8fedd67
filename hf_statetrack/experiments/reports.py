"""Reports that put a sweep's results next to the papers' (``report: NAME`` in a sweep config).

Each writes ``report.md`` in the sweep's folder from the runs' `Results` (and ``search.json``), so the
same YAML gives the same report under ``statetrack sweep`` and ``statetrack reproduce``:

* ``illusion_of_state``: the minimum-depth table by length, per architecture whether it shows the
  paper's shape (one layer everywhere for recurrent models; depth growing with length otherwise), and the
  seeds passing at each depth tried.
* ``sarrof_formal_languages``: sequence accuracy per language, layers and length bin (mapped onto the paper's
  bins by order, `paper_bins`), ours (mean ± std over seeds) / the paper's, and a verdict: within ours, or the
  difference and its measured cause (`papers.SARROF_CAUSES`).
* ``negative_eigenvalues``: scaled accuracy (acc - chance) / (1 - chance) by task and model beside the
  paper's: mean and std, and the median and max over seeds that Grazzi et al. report.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..core.files import atomic_write
from ..core.registry import Registry
from ..reporting.results import Results, table
from ..runtime.tagging import test_label
from ..stats.intervals import wilson
from ..tasks import get_task
from .grid import flat, identity, mean_std
from .papers import GRAZZI_SCALED, GRAZZI_SHAPE, ILLUSION_SHAPE, SARROF_CAUSES, SARROF_MAMBA
from .search import column, column_keys, length_of, point_model, row_label

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
    lines += seeds_passing(records, by, raw["search"].get("threshold", 0.9))
    return "\n".join(lines) + "\n"


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


# A Sarrof row is a language at one depth; the paper picks the learning rate (and we also the width) on validation.
SELECTED_ON_VALIDATION = ("training.learning_rate", "model.hidden_size")
NOT_A_SETTING = ("task.seed", "training.seed", "model.num_layers", *SELECTED_ON_VALIDATION)


def settings_of(runs: list[Results]) -> dict:
    """A point's resolved config as dotted keys, without its seed, its depth and the values picked on validation."""
    return {k: v for k, v in flat(identity(runs[0].settings.get("experiment", {}))).items() if k not in NOT_A_SETTING}


def variant_labels(summary: dict) -> dict[str, str]:
    """Point name -> what sets it apart from the other points of its language: "" in the reproduction itself;
    "label_framing sarrof_as_published" or "num_train 2000 · num_train_epochs 10" in an ablation."""
    settings = {name: settings_of(runs) for name, runs in summary.items()}
    language = {name: runs[0].task["name"] for name, runs in summary.items()}
    labels = {}
    for name, mine in settings.items():
        peers = [settings[other] for other in settings if language[other] == language[name]]
        differ = sorted({k for s in peers for k in s if len({json.dumps(p.get(k), sort_keys=True) for p in peers}) > 1})
        labels[name] = " · ".join(f"{k.split('.')[-1]} {column(mine[k]) if k in mine else 'default'}" for k in differ)
    return labels


def best_by_validation(summary: dict) -> dict[tuple, list[Results]]:
    """(language, variant, layers) -> the runs of the point with the best mean validation sequence accuracy: Sarrof
    et al. pick the learning rate on validation, never on test. Points that differ in anything else (the targets
    of `label_framing`, the training budget) are separate rows (`variant_labels`), never merged."""
    best: dict[tuple, tuple] = {}
    variants = variant_labels(summary)
    for name, runs in summary.items():
        key = (runs[0].task["name"], variants[name], model_of(runs[0]).get("num_layers"))
        score = np.mean([r.splits["validation"]["sequence_accuracy"] for r in runs if "validation" in r.splits] or [0])
        if key not in best or score > best[key][0]:
            best[key] = (score, runs)
    return {key: runs for key, (_, runs) in best.items()}


def paper_bins(results: Results) -> list[tuple[str, int, str]]:
    """(split, index of the paper's length bin, our lengths) of every test split, by order: the ``test`` split is
    the paper's first bin, each ``evaluation.test_lengths`` entry the next. A run whose ``test`` split lies beyond
    its training lengths starts at the paper's second bin: its first bin is at training lengths, where a language
    with one string per length (Tomita 1/2, (aa)*, (aaaa)*, (abab)*, the a^n b^n family) has no test string.
    Tomita 3 trained on 1-100 and tested on 1-100 and 101-150: [("test", 0, "1-100"), ("test@101-150", 1, "101-150")].
    """
    train, test = results.task["train_length"], results.task["test_length"]
    extra = (results.settings.get("experiment", {}).get("evaluation") or {}).get("test_lengths") or []
    offset = 1 if test[0] > train[-1] else 0
    splits = [("test", test), *((test_label(spec), spec) for spec in extra)]
    return [(split, index + offset, column(lengths)) for index, (split, lengths) in enumerate(splits)]


def within_ours(values: list[float], rows: list[int], paper: float) -> bool:
    """Whether the paper's accuracy (%) lies between our lowest seed's 95 % Wilson interval low end and our highest
    seed's high end: the spread over seeds, widened by each seed's test-sampling error."""
    bounds = [wilson(round(v * n), n) for v, n in zip(values, rows)]
    slack = 1e-6  # 2,000 of 2,000 right: a Wilson high end of 1 - 1e-16 still holds the paper's 100
    return 100 * min(lo for lo, _ in bounds) - slack <= paper <= 100 * max(hi for _, hi in bounds) + slack


def sarrof_verdict(language: str, values: list[float], rows: list[int], paper: float | None) -> str:
    """"within ours", or the difference in points and its measured cause (`papers.SARROF_CAUSES`)."""
    if paper is None:
        return ""
    if within_ours(values, rows, paper):
        return "within ours"
    return f"{100 * np.mean(values) - paper:+.1f} points: {SARROF_CAUSES.get(language, 'not yet measured')}"


def sarrof_formal_languages(root: Path, summary: dict, raw: dict) -> str:
    """One row per language, depth and length bin: ours (mean ± std over seeds) / the paper's, and the verdict."""
    rows = []
    for (language, variant, layers), runs in sorted(best_by_validation(summary).items(), key=repr):
        for split, index, lengths in paper_bins(runs[0]):
            if split not in runs[0].splits:
                continue
            values = [r.splits[split]["sequence_accuracy"] for r in runs]
            paper = SARROF_MAMBA.get(language, {}).get(layers, ())
            theirs = paper[index] if index < len(paper) else None
            rows.append([f"{language} ({variant})" if variant else language, layers, lengths,
                         index + 1,
                         f"{mean_std(values)} / " + ("-" if theirs is None else f"{theirs:g}"),
                         sarrof_verdict(language, values, [r.splits[split]["num_sequences"] for r in runs], theirs)])
    lines = ["# Sarrof et al.: Mamba on formal languages, sequence accuracy % (ours / paper)", "",
             "Ours: mean ± std over seeds (one seed: its value), width and learning rate chosen on validation where "
             "several were run; paper: Sarrof, Veitsman & Hahn 2024 ('-': not reported). Bins map by order: our "
             "`test` split is the paper's first bin and each further test split the next, except that a test split "
             "beyond the training lengths (languages with one string per length) is the paper's second bin; "
             "'our lengths' are the lengths we tested. Verdict: 'within ours' when the paper's number lies between "
             "our lowest seed's 95 % Wilson interval and our highest seed's (with one seed that is only the "
             "test-sampling error, so a difference may still be the seed's); otherwise the difference and its "
             "measured cause, or 'not yet measured'.", ""]
    lines += table(["language", "layers", "our lengths", "paper's bin", "ours / paper", "verdict"], rows,
                   numeric_from=1)
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
    rows = [[*row[:3], GRAZZI_SCALED.get((row[0], row[2]), "-"), *row[3:]] for row in rows]  # the paper's, beside
    lines = ["# Negative eigenvalues: scaled test accuracy (acc - chance) / (1 - chance)", "",
             f"Paper: {GRAZZI_SHAPE}. Max over seeds is shown because the paper reports it; read the mean.", ""]
    lines += table(["task", "model", "transition range", "paper", "mean", "std", "median", "max", "seeds"], rows,
                   numeric_from=3)
    return "\n".join(lines) + "\n"


for _report in (illusion_of_state, sarrof_formal_languages, negative_eigenvalues):
    REPORTS.register(_report.__name__, _report)

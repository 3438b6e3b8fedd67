"""Delétang et al. 2023 ("Neural Networks and the Chomsky Hierarchy"): 15 transduction tasks x five architectures.

The report (``report: chomsky_hierarchy``) has the layout of the paper's Table 2: tasks grouped by level (R, DCF,
CS) in the paper's order, one column per architecture (RNN, Stack-RNN, Tape-RNN, Transformer, LSTM). A cell is the
score, per-position accuracy on the output positions averaged over the test lengths (`length_mean_token_accuracy`),
as ours, mean over seeds (best of seeds), / the paper's; bold where our best reaches 90 %, the paper's "solved".
The paper reports the best of 10 seeds x 3 learning rates, so where a model ran with several settings (learning
rates, tapes) the row shows the point with the best seed, as the paper picks. Below it: the same runs' fit on the
training lengths (validation), which tells an untrained model from an architecture's limit, and our budget beside
the paper's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...reporting.results import Results, table
from ...stats.scoring import mean_over_lengths
from ...tasks import get_task
from ..config import TRAINING_DEFAULTS
from . import model_of, register

LEVELS = {"regular": "R", "dcf": "DCF", "cs": "CS"}
# The rows and columns of the paper's Table 2, in its order (our task names; modular_arithmetic is its "Modular
# Arithmetic (Simple)", modular_arithmetic_brackets its DCF "Modular Arithmetic").
TASK_ORDER = ("even_pairs", "modular_arithmetic", "parity_check", "cycle_navigation",
              "stack_manipulation", "reverse_string", "modular_arithmetic_brackets", "solve_equation",
              "duplicate_string", "missing_duplicate_string", "odds_first", "binary_addition", "binary_multiplication",
              "compute_sqrt", "bucket_sort")
MODEL_NAMES = {"rnn": "RNN", "stack_rnn": "Stack-RNN", "tape_rnn": "Tape-RNN", "transformer": "Transformer",
               "lstm": "LSTM"}
SOLVED = 0.9  # the paper's Appendix B.1: a task is solved at a score >= 90 %

# The paper's Table 2, score % on test lengths 41..500, best of 10 seeds x 3 learning rates: only the numbers read
# from a source. Six rows from Table 5 of Xu et al., "DeltaFormer: Unlock the State Space of Transformer"
# (ByteDance Seed), which reprints them from Delétang et al.'s Table 2 for these five architectures; the
# transformer's cycle_navigation from the paper's own text (Appendix B.3.2: "61.9 % with baseline 20 %"). The text
# of arXiv 2207.02098 we could read lacks the table itself, so the other cells read "-".
DELETANG_TABLE2: dict[str, dict[str, float]] = {
    "modular_arithmetic": {"rnn": 100.0, "stack_rnn": 100.0, "tape_rnn": 100.0, "transformer": 24.2, "lstm": 100.0},
    "parity_check": {"rnn": 100.0, "stack_rnn": 100.0, "tape_rnn": 100.0, "transformer": 52.0, "lstm": 100.0},
    "cycle_navigation": {"transformer": 61.9},
    "stack_manipulation": {"rnn": 56.0, "stack_rnn": 100.0, "tape_rnn": 100.0, "transformer": 57.5, "lstm": 59.1},
    "reverse_string": {"rnn": 62.0, "stack_rnn": 100.0, "tape_rnn": 100.0, "transformer": 62.3, "lstm": 60.9},
    "duplicate_string": {"rnn": 50.3, "stack_rnn": 52.8, "tape_rnn": 100.0, "transformer": 52.8, "lstm": 57.6},
    "odds_first": {"rnn": 51.0, "stack_rnn": 51.9, "tape_rnn": 100.0, "transformer": 52.8, "lstm": 55.6},
}
# The paper's result in words (its sections 5.1, 5.3, 5.4), for the rows without numbers.
DELETANG_SHAPE = ("RNNs solve the regular tasks and fail beyond; Stack-RNNs solve up to DCF (not Solve Equation); "
                  "Tape-RNNs up to CS (not Binary Multiplication or Compute Sqrt); Transformers fail most tasks, "
                  "even regular ones, but solve Even Pairs and Bucket Sort; LSTMs solve the regular tasks and the "
                  "counting task Bucket Sort")
# The paper's protocol (its Appendix A.2 and A.4), beside our budget.
PAPER_BUDGET = ("1,000,000 steps at batch 128 (Adam, learning rates 1e-4, 3e-4, 5e-4), 10 seeds, test lengths "
                "41..500; widths 256 (RNN, LSTM, the memory RNNs' controllers), transformer 5 layers of 64, 8 heads")


def paper_score(task: str, preset: str) -> float | None:
    """The paper's Table 2 score (%) of `preset` on `task`, or None where we have not read it."""
    return DELETANG_TABLE2.get(task, {}).get(preset)


def score(results: Results, split: str) -> float | None:
    """Delétang et al.'s score on a split: `length_mean_token_accuracy`, or its value from `by_length` for a results
    file written before the key existed; None without that split."""
    metrics = results.splits.get(split)
    if not metrics:
        return None
    value = metrics.get("length_mean_token_accuracy")
    return value if value is not None else mean_over_lengths(metrics["by_length"])


def architecture(runs: list[Results]) -> str:
    model = model_of(runs[0])
    return model.get("preset") or model.get("architecture") or runs[0].model


def task_label(results: Results) -> str:
    """"odds_first (order deepmind_code)": the task name and the parameters that are not its defaults."""
    name, default = results.task["name"], get_task(results.task["name"]).params
    params = {k: v for k, v in (results.task.get("task_params") or {}).items() if default.get(k) != v}
    return name + (f" ({', '.join(f'{k} {v}' for k, v in params.items())})" if params else "")


def task_of(label: str) -> str:
    """The task name of a row label: "odds_first (order deepmind_code)" -> "odds_first"."""
    return label.split(" ")[0]


def best_seed(runs: list[Results]) -> float:
    return max(score(r, "test") for r in runs)


def best_points(summary: dict) -> dict[tuple[str, str], list[Results]]:
    """(task label, architecture) -> the runs of its point with the best seed: the paper reports the settings
    (learning rate, tapes, ...) with the maximum score."""
    best: dict[tuple[str, str], tuple[float, list]] = {}
    for runs in summary.values():
        top = best_seed(runs)
        key = (task_label(runs[0]), architecture(runs))
        if key not in best or top > best[key][0]:
            best[key] = (top, runs)
    return {key: runs for key, (_, runs) in best.items()}


def ours(values: list[float]) -> str:
    """"97.5 (100.0)": mean over seeds (best of seeds) in %; one seed: its value; bold where the best is solved."""
    mean, top = 100 * float(np.mean(values)), 100 * max(values)
    text = f"{mean:.1f}" if len(values) == 1 else f"{mean:.1f} ({top:.1f})"
    return f"**{text}**" if max(values) >= SOLVED else text


def cell(runs: list[Results] | None, paper: float | None) -> str:
    """"ours / paper's": "97.5 (100.0) / 100.0", "- / 62.0" without our runs, "51.2 / -" without the paper's."""
    mine = ours([score(r, "test") for r in runs]) if runs else "-"
    return f"{mine} / {'-' if paper is None else f'{paper:.1f}'}"


def ordered(best: dict) -> tuple[list[str], list[str]]:
    """Rows (task labels) in the paper's order, levels R, DCF, CS, others after; columns: the paper's five
    architectures, then any other we ran."""
    tasks = {label for label, _ in best}
    rank = {name: i for i, name in enumerate(TASK_ORDER)}
    rows = sorted(tasks, key=lambda label: (rank.get(task_of(label), len(rank)), label))
    models = [*MODEL_NAMES, *sorted({arch for _, arch in best} - set(MODEL_NAMES))]
    return rows, models


def header(models: list[str]) -> list[str]:
    return ["level", "task", *(MODEL_NAMES.get(m, m) for m in models)]


def level(label: str) -> str:
    return LEVELS.get(get_task(task_of(label)).level or "", "-")


def score_table(best: dict, rows: list[str], models: list[str]) -> list[str]:
    """The Table 2 layout, with a line per level counting the tasks each model solves (ours; the paper's where
    read)."""
    by_level: dict[str, list[str]] = {}
    for label in rows:
        by_level.setdefault(level(label), []).append(label)
    body = []
    for lvl, labels in by_level.items():
        body += [[lvl, label, *(cell(best.get((label, m)), paper_score(task_of(label), m)) for m in models)]
                 for label in labels]
        body.append([lvl, f"*solved (>= {SOLVED:.0%})*", *(solved_count(best, labels, m) for m in models)])
    return table(header(models), body, numeric_from=2)


def solved_count(best: dict, labels: list[str], model: str) -> str:
    """"3/4 / 2/2": tasks of a level whose best seed reaches 90 %, of those we ran; then the paper's, of those read."""
    ran = [best[(label, model)] for label in labels if (label, model) in best]
    mine = sum(best_seed(runs) >= SOLVED for runs in ran)
    read = [p for p in (paper_score(task_of(label), model) for label in labels) if p is not None]
    theirs = f"{sum(p >= 100 * SOLVED for p in read)}/{len(read)}" if read else "-"
    return f"{mine}/{len(ran)} / {theirs}" if ran else f"- / {theirs}"


def fit_table(best: dict, rows: list[str], models: list[str]) -> list[str]:
    """Validation (training lengths) score, mean over seeds, of the point each cell above shows."""
    def fit(runs):
        values = [v for v in (score(r, "validation") for r in runs or []) if v is not None]
        return f"{100 * np.mean(values):.1f}" if values else "-"

    body = [[level(label), label, *(fit(best.get((label, m))) for m in models)] for label in rows]
    return table(header(models), body, numeric_from=2)


def budget_table(summary: dict, models: list[str]) -> list[str]:
    """Per architecture, what our runs trained with: steps x batch, widths, learning rates, seeds, test lengths."""
    rows = []
    for model in models:
        runs = [r for rs in summary.values() if architecture(rs) == model for r in rs]
        if not runs:
            continue
        training = [r.settings["experiment"].get("training") or {} for r in runs]
        steps = sorted({r.train["steps"] for r in runs if r.train})
        batch = sorted({t.get("per_device_train_batch_size", TRAINING_DEFAULTS["per_device_train_batch_size"])
                        for t in training})
        rates = sorted({t.get("learning_rate", TRAINING_DEFAULTS["learning_rate"]) for t in training})
        sizes = sorted({size(m) for m in map(model_of, runs)})
        tests = sorted({"..".join(map(str, r.task["test_length"])) for r in runs})
        rows.append([MODEL_NAMES.get(model, model), f"{join(steps)} x {join(batch)}", join(sizes),
                     join(f"{v:g}" for v in rates), len({r.seed for r in runs}), join(tests)])
    return table(["model", "steps x batch", "(layers x) width", "learning rates", "seeds", "test lengths"], rows,
                 numeric_from=4)


def size(model: dict) -> str:
    """"5 x 64" (layers x width) where the model section names the layers, else "64"."""
    width = str(model.get("hidden_size", "default"))
    return f"{model['num_layers']} x {width}" if "num_layers" in model else width


def join(values) -> str:
    return ", ".join(map(str, values))


def chomsky_hierarchy(root: Path, summary: dict, cfg) -> str:
    best = best_points(summary)
    rows, models = ordered(best)
    lines = ["# Delétang et al.: score % beyond the training lengths (ours / paper)", "",
             "Score: per-position accuracy on the output positions, averaged over the test lengths. Ours: mean over "
             "seeds (best of seeds), one seed: its value; bold where the best reaches 90 %, the paper's 'solved'. "
             "Where an architecture ran with several settings the row shows the one with the best seed, as the "
             "paper reports the best of 10 seeds x 3 learning rates. Paper: Table 2 of Delétang et al. 2023 on "
             "lengths 41..500 ('-': not read; the rows we have are reprinted in Table 5 of Xu et al., "
             "DeltaFormer). Per level, the tasks solved: ours of those run / the paper's of those read.", "",
             "## Score by task and model", ""]
    lines += score_table(best, rows, models)
    lines += ["", f"Paper, in words: {DELETANG_SHAPE}.", "",
              "## Fit on the training lengths (validation score, mean over seeds)", "",
              "A model that does not fit its training lengths is undertrained: its score above is the budget's, "
              "not the architecture's.", ""]
    lines += fit_table(best, rows, models)
    lines += ["", "## Our budget against the paper's", "", f"Paper: {PAPER_BUDGET}.", ""]
    lines += budget_table(summary, models)
    return "\n".join(lines) + "\n"


register(__name__, chomsky_hierarchy, order=5)

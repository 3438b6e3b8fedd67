"""DeltaProduct (Siems et al. 2025): the fewest Householder steps per token, n_h, with which one layer learns S_n.

A token's transition is a product of n_h generalised Householder matrices I - beta k k^T. With beta in (0, 2) a
factor can be a reflection (beta = 2), and an orthogonal map is a product of as many reflections as the codimension
of its fixed space: a permutation matrix of an n-cycle fixes only the all-ones line, so with permutation matrices
S_n needs n_h = n - 1 (S3: 2, S4: 3, S5: 4). Another representation can need fewer: S4 acts faithfully as the 24
rotations of a cube, each the product of two reflections, so n_h = 2 suffices for S4; a 5-cycle of S5 fixes a
subspace of codimension at least 4 in every faithful representation, so S5 needs 4. With beta in (0, 1) every
factor has its eigenvalues in (0, 1]: the product shrinks a direction, so no n_h applies a permutation exactly at
every length.

The report (``report: deltaproduct``): per group, eigenvalue range and test split, the test sequence accuracy by n_h
(mean ± std over seeds, and the seeds reaching the threshold), the smallest n_h whose mean reaches the threshold,
the theory's and the paper's, and a verdict; then the longest length each n_h keeps the threshold.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...core.errors import StateTrackError
from ...reporting.results import Results, table
from ..grid import length_spread, mean_std
from . import model_of, register
from .negative_eigenvalues import transition_range

# Group -> the fewest n_h with which one layer tracks it exactly when eigenvalues range over [-1, 1] (see above;
# tests/experiments/test_reproduce_deltaproduct.py checks the representations behind 2 and n - 1).
THEORY_NH = {"S3": 2, "S4": 2, "S5": 4}
# (group, eigenvalue range) -> the smallest n_h the paper reports learning it, with the n_h it reports failing:
# S5 from its text (SCIENCE.md section 6), S3 from the README of its code (github.com/automl/DeltaProduct), which
# gives the expected outcome of n_h = 1 and 2 with each range. S4 is in neither.
PAPER_NH = {("S5", "[-1, 1]"): "4 (1, 2 fail)", ("S3", "[-1, 1]"): "2 (1 fails; code README)",
            ("S3", "[0, 1]"): "none of 1, 2 (code README)"}
# (group, eigenvalue range) -> the paper's longest length: S5 with n_h = 4, trained on length 128 (SCIENCE.md).
PAPER_LENGTH = {("S5", "[-1, 1]"): "n_h = 4: near 100 % up to ~200, ~50 % near 330"}


def householder_steps(results: Results) -> int:
    """The run's n_h (the preset's default where the model section leaves it out)."""
    from ...models import PRESETS

    model = model_of(results)
    return model.get("num_householder") or PRESETS.lookup("deltaproduct").defaults["num_householder"]


def theory_nh(group: str, eigenvalues: str) -> int | None:
    """The theory's fewest n_h: THEORY_NH with eigenvalues in [-1, 1]; 0 (none suffices) in [0, 1]; None where the
    theory is not stated here (another group, a model without a Householder transition)."""
    if eigenvalues == "[0, 1]":
        return 0
    return THEORY_NH.get(group) if eigenvalues == "[-1, 1]" else None


def smallest_passing(curve: dict[int, list[float]], threshold: float) -> int | None:
    """The smallest n_h whose mean over seeds reaches `threshold`; None if none does."""
    return next((nh for nh in sorted(curve) if np.mean(curve[nh]) >= threshold), None)


def verdict(expected: int | None, smallest: int | None, tried: list[int]) -> str:
    """Our smallest n_h against the theory's `expected` (0: no n_h suffices; None: not stated, no verdict)."""
    if expected is None:
        return ""
    if expected == 0:
        return "agrees (no n_h reaches it)" if smallest is None else f"differs: n_h = {smallest} reaches it here"
    if smallest is None:
        if max(tried) < expected:
            return f"cannot be read: n_h up to {max(tried)} tried, the theory needs {expected}"
        return f"not reached at this budget (n_h up to {max(tried)}; the theory's {expected} suffices)"
    if smallest == expected:
        return "agrees"
    return f"differs: n_h = {smallest}, {'fewer' if smallest < expected else 'more'} than the theory's {expected}"


def length_splits(results: Results) -> list[tuple[str, str]]:
    """(split, its lengths) of every test split, shortest lengths first: [("test", "2-16"), ("test@17-64", "17-64")]."""
    spans = {}
    for split, metrics in results.splits.items():
        if split.startswith("test"):
            lengths = [int(k) for k in metrics["by_length"]]
            spans[split] = (min(lengths), max(lengths))
    return [(split, f"{lo}-{hi}" if lo != hi else str(lo)) for split, (lo, hi) in sorted(spans.items(),
                                                                                        key=lambda kv: kv[1])]


def longest_length(results: Results) -> int | None:
    """The longest length up to which every length bin keeps the threshold (`binned_max_length_at_threshold`), read
    on from one test split to the next only while the earlier passes whole: 2-16 passing and 17-64 failing from 41
    on gives 40; 2-16 failing at 9 gives 8. None if the first split is too small to say."""
    best = None
    for split, _ in length_splits(results):
        metrics = results.splits[split]
        value = metrics.get("binned_max_length_at_threshold")
        if value is None:
            return best
        if value == 0:  # its first bin fails: the longest length is the earlier split's (0 if none)
            return best or 0
        best = value
        if value < max(int(k) for k in metrics["by_length"]):
            return best
    return best


def curves(summary: dict) -> dict[tuple[str, str], dict[int, list[Results]]]:
    """(group, eigenvalue range) -> n_h -> the runs (one per seed) of that point."""
    found: dict[tuple[str, str], dict[int, list[Results]]] = {}
    for name, runs in summary.items():
        key = (runs[0].task["name"], transition_range(model_of(runs[0])))
        nh = householder_steps(runs[0])
        if nh in found.setdefault(key, {}):
            raise StateTrackError(f"report deltaproduct: point {name} repeats {key[0]} {key[1]} with n_h = {nh}; the "
                                  f"sweep may vary only the group, n_h and the eigenvalue range")
        found[key][nh] = runs
    return found


def accuracy_rows(found: dict, steps: list[int], threshold: float) -> list[list]:
    """One row per group, eigenvalue range and test split: accuracy by n_h, smallest n_h, theory, paper, verdict."""
    rows = []
    for (group, eigenvalues), by_nh in sorted(found.items()):
        expected = theory_nh(group, eigenvalues)
        for split, lengths in length_splits(next(iter(by_nh.values()))[0]):
            curve = {nh: [r.splits[split]["sequence_accuracy"] for r in runs] for nh, runs in by_nh.items()}
            cells = [f"{mean_std(curve[nh])} ({sum(v >= threshold for v in curve[nh])}/{len(curve[nh])})"
                     if nh in curve else "" for nh in steps]
            smallest = smallest_passing(curve, threshold)
            rows.append([group, eigenvalues, lengths, *cells,
                         smallest if smallest is not None else f"> {max(curve)}",
                         {None: "-", 0: "none"}.get(expected, expected),
                         PAPER_NH.get((group, eigenvalues), "-"), verdict(expected, smallest, sorted(curve))])
    return rows


def percent_label(threshold: float) -> str:
    return f"{100 * threshold:g} %"


def deltaproduct(root: Path, summary: dict, cfg) -> str:
    found = curves(summary)
    steps = sorted({nh for by_nh in found.values() for nh in by_nh})
    threshold = next(iter(summary.values()))[0].threshold or 0.9
    passing, nh_columns = percent_label(threshold), [f"n_h = {nh}" for nh in steps]
    lines = ["# DeltaProduct: test sequence accuracy % by Householder steps per token (n_h), one layer", "",
             "Per n_h: mean ± std over seeds (one seed: its value) and, in brackets, the seeds reaching "
             f"{passing}. Eigenvalues [-1, 1]: beta in (0, 2); [0, 1]: beta in (0, 1). Theory: the fewest n_h that "
             "applies every permutation exactly with eigenvalues in [-1, 1] (S3: 2; S4: 2 as the rotations of a cube, "
             "3 = n - 1 with permutation matrices; S5: 4); none in [0, 1]. Paper: Siems et al. 2025 (S5: its text; "
             "S3: the README of its code); '-': not reported there, read the theory.", "",
             "## Accuracy by n_h", ""]
    lines += table(["group", "eigenvalues", "test lengths", *nh_columns, f"smallest n_h ≥ {passing}", "theory",
                    "paper", "verdict"], accuracy_rows(found, steps, threshold), numeric_from=3)
    lines += ["", f"## Longest length with sequence accuracy ≥ {passing}", "",
              "Read over the test splits in order of length, on length bins of at least 20 strings (mean ± std over "
              "seeds, lowest..highest); the paper tests strings four times its training length.", ""]
    rows = [[group, eigenvalues,
             *(length_spread([longest_length(r) for r in by_nh[nh]]) if nh in by_nh else "" for nh in steps),
             PAPER_LENGTH.get((group, eigenvalues), "-")] for (group, eigenvalues), by_nh in sorted(found.items())]
    lines += table(["group", "eigenvalues", *nh_columns, "paper"], rows, numeric_from=2)
    return "\n".join(lines) + "\n"


register(__name__, deltaproduct, order=4)

"""Chance levels and chance-corrected accuracy, so that scores compare across tasks.

A task whose labels are 90 % one class gives 90 % token accuracy to a model that learned nothing; parity gives
50 %, A5 under 2 %. The chance level of an accuracy here is the best that accuracy a *constant predictor*
reaches on the same references: a model that ignores its input and answers one label c everywhere, the best c
taken for each accuracy (computed from the references' label distribution):

* token: the share of scored positions holding the most frequent label, max_c p_c;
* final state: the same over each row's last scored position;
* sequence: the largest share of rows whose every scored label is one same c (exact, no independence between
  the positions of a row is assumed).

The chance-corrected accuracy is (acc - chance) / (1 - chance): 0 for a model stuck on the majority label,
1 for a perfect one, negative for one worse than the majority label; None where chance is 1 (every scored
label is the same: there is nothing to correct). Balanced labels give Grazzi et al.'s chance, 1 / classes.

Worked example: label 0 at 3 of 4 scored positions, label 1 at one. Answering 0 everywhere gets 3 of the 4
positions, one of the two rows whole (row 1) and one of the two last positions:

>>> refs = np.array([[0, 0, 1], [-100, 0, -100]])
>>> chance_levels_padded(refs)
{'token_accuracy': 0.75, 'sequence_accuracy': 0.5, 'final_state_accuracy': 0.5}
>>> chance_levels_ref([[0, 0, 1], [-100, 0]]) == chance_levels_padded(refs)
True

A model that gets 7 of 8 positions right where chance is 0.75 is half way from chance to perfect:

>>> chance_corrected(0.875, 0.75)
0.5
"""

from __future__ import annotations

import numpy as np

from ..core.errors import StateTrackError
from ..tasks.base import IGNORE

CHANCE_KEYS = ("token_accuracy", "sequence_accuracy", "final_state_accuracy")


CHUNK = 1 << 20  # values counted at once: casting a large int8 array whole to intp costs more than the counting


def majority_share(labels: np.ndarray) -> float:
    """The share of the most frequent value among `labels` (a 1-D integer array, not empty)."""
    low, high = int(labels.min()), int(labels.max())
    counts = sum(np.bincount(labels[i:i + CHUNK].astype(np.intp) - low, minlength=high - low + 1)
                 for i in range(0, len(labels), CHUNK))
    return float(counts.max() / len(labels))


def constant_predictor_levels(refs: np.ndarray, last: np.ndarray) -> dict[str, float]:
    """The chance levels of (R, T) references whose every row holds a scored position, the last at `last` (R,)."""
    scored = refs != IGNORE  # (R, T)
    finals = refs[np.arange(len(refs)), last]  # (R,)
    # a row is constant when every scored label equals its last one; the best constant then is the most
    # frequent final label among the constant rows
    constant = ((refs == finals[:, None]) | ~scored).all(axis=1)  # (R,)
    sequence = majority_share(finals[constant]) * constant.mean() if constant.any() else 0.0
    return {"token_accuracy": majority_share(refs[scored]), "sequence_accuracy": float(sequence),
            "final_state_accuracy": majority_share(finals)}


def chance_levels_padded(refs: np.ndarray) -> dict[str, float]:
    """`chance_levels` of an (N, T) reference array padded with IGNORE; rows without a scored position are left
    out, as every accuracy leaves them out."""
    scored = refs != IGNORE  # (N, T)
    kept = scored.any(axis=1)  # (N,)
    if not kept.any():
        raise StateTrackError("no position is scored: every reference is -100; there is no chance level")
    refs, scored = refs[kept], scored[kept]  # (R, T)
    return constant_predictor_levels(refs, refs.shape[1] - 1 - np.argmax(scored[:, ::-1], axis=1))


def chance_levels_ref(rows) -> dict[str, float]:
    """`chance_levels_padded` by brute force on ragged rows: every label tried as the constant prediction."""
    rows = [[v for v in row if v != IGNORE] for row in rows]
    rows = [row for row in rows if row]
    positions = [v for row in rows for v in row]
    best = dict.fromkeys(CHANCE_KEYS, 0.0)
    for c in set(positions):
        shares = (positions.count(c) / len(positions), sum(all(v == c for v in row) for row in rows) / len(rows),
                  sum(row[-1] == c for row in rows) / len(rows))
        best = {key: max(best[key], share) for key, share in zip(CHANCE_KEYS, shares)}
    return best


def chance_corrected(accuracy: float | None, chance: float) -> float | None:
    """(accuracy - chance) / (1 - chance); None without an accuracy or where chance is 1."""
    if accuracy is None or chance >= 1.0:
        return None
    return float((accuracy - chance) / (1.0 - chance))


def resolve_chance(chance, computed: dict[str, float]) -> dict[str, float]:
    """The chance levels to correct with: the computed ones, or a given level (one number for every accuracy,
    e.g. 1 / classes, or a mapping that replaces some of them)."""
    if chance is None:
        return computed
    given = {key: chance for key in CHANCE_KEYS} if isinstance(chance, (int, float)) and not isinstance(
        chance, bool) else chance
    if not isinstance(given, dict) or any(k not in CHANCE_KEYS for k in given):
        raise StateTrackError(f"chance must be a number in [0, 1] or a mapping with keys among "
                              f"{', '.join(CHANCE_KEYS)}; got {chance!r}")
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise StateTrackError(f"chance[{key!r}] must be a number in [0, 1], got {value!r}")
    return {**computed, **{k: float(v) for k, v in given.items()}}


def chance_entries(accuracies: dict, refs: np.ndarray, last: np.ndarray, chance=None) -> dict:
    """``chance`` (the levels used) and ``chance_corrected_accuracy`` (per accuracy) for `compute_metrics`, from
    the references of the kept rows (R, T) and their last scored positions (R,)."""
    levels = resolve_chance(chance, constant_predictor_levels(refs, last))
    return {"chance": levels,
            "chance_corrected_accuracy": {k: chance_corrected(accuracies[k], levels[k]) for k in CHANCE_KEYS}}

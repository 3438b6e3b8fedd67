"""Scoring of per-position label predictions: token, sequence and final-state accuracy.

Pure numpy. ``preds`` and ``refs`` hold one sequence of label ids per row, either ragged
(a list of lists, rows of different lengths) or padded (a 2-D array). A reference of -100
(``IGNORE``) marks a position that is not scored (padding, BOS, unscored steps); whatever
is predicted there is ignored. Ragged input is padded once to ``(N, T)``; everything after
that is array operations.

Worked example (three rows; the first position of row 0 is unscored, so is the last of row 1):

>>> refs  = [[-100, 1, 2, 3], [0, 4, -100], [2, 2, 2]]
>>> preds = [[   9, 1, 2, 0], [0, 4,    7], [2, 2, 2]]

Row 0 gets 2 of its 3 scored positions right and misses its last one; rows 1 and 2 are
entirely right. So 7 of 8 scored tokens are right, and 2 of 3 rows (and final states):

>>> token_accuracy(preds, refs)
0.875
>>> sequence_accuracy(preds, refs), final_state_accuracy(preds, refs)
(0.6666666666666666, 0.6666666666666666)

Without a ``lengths`` column a row's length is its number of positions up to its last scored
one: 4, 2 and 3 here. Lengths 2 and 3 are solved, length 4 is not, so the longest length up
to which sequence accuracy stays >= 0.9 is 3:

>>> m = compute_metrics(preds, refs)
>>> sorted(m["by_length"]), m["max_length_at_threshold"]
([2, 3, 4], 3)
>>> m["by_position"]
{'position': [0, 1, 2, 3], 'token_accuracy': [1.0, 1.0, 1.0, 0.0], 'count': [2, 3, 2, 1]}

Delétang et al. (2023) score the other way round: token accuracy within each length, then the
unweighted mean over the lengths, so a long row weighs no more than a short one. Here lengths 2
and 3 have token accuracy 1 and length 4 has 2/3, so (1 + 1 + 2/3) / 3, where pooling gives 7/8:

>>> round(m["length_mean_token_accuracy"], 4), round(length_mean_token_accuracy(preds, refs), 4)
(0.8889, 0.8889)

Each accuracy also comes with the rows or positions it rests on and its 95 % Wilson interval
(`intervals`); 2 of 3 rows is a wide interval. With 3 rows no length bin reaches the default 20
rows, so the longest length over bins (`length_bins`), the one a single row cannot move, is None:

>>> m["num_sequences"], [round(x, 2) for x in m["sequence_accuracy_ci"]]
(3, [0.21, 0.94])
>>> m["by_bin"][0]["lengths"], m["binned_max_length_at_threshold"]
([2, 4], None)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..core.errors import StateTrackError
from ..tasks.base import IGNORE
from .chance import chance_entries, chance_levels_padded
from .intervals import accuracy_entries, wilson
from .length_bins import Binning, bin_counts, binned_max_length_at_threshold, by_length_counts

# The headline metrics, in table order, with the column title tables and plots give them: a new metric is one entry.
SUMMARY_TITLES = {"token_accuracy": "token acc", "sequence_accuracy": "sequence acc",
                  "final_state_accuracy": "final-state acc"}
SUMMARY_KEYS = tuple(SUMMARY_TITLES)


# ----------------------------------------------------------------------------- input


def _rows_to_padded(rows: list, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Ragged rows -> (N, T) int64 array padded with IGNORE, and the (N,) row lengths."""
    try:
        lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    except TypeError:
        bad = next(i for i, r in enumerate(rows) if not hasattr(r, "__len__"))
        raise StateTrackError(f"{what} must hold one sequence of label ids per row, but row {bad} is "
                              f"{rows[bad]!r:.40}; wrap a single sequence in a list") from None
    first = next((r[0] for r in rows if len(r)), 0)
    if hasattr(first, "__len__"):
        raise StateTrackError(f"{what} must be integer label ids per position, got {first!r:.40}; "
                              "take the argmax over the label axis of the logits first")
    try:
        if all(isinstance(r, np.ndarray) for r in rows):
            flat = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        else:  # no dtype: a float anywhere makes the array float, and it is refused below (never truncated)
            flat = np.array(list(itertools.chain.from_iterable(rows)))
    except (TypeError, ValueError) as e:
        raise StateTrackError(f"{what} must be integer label ids per position ({e})") from None
    check_integer_ids(flat, what)
    dtype = flat.dtype if np.issubdtype(flat.dtype, np.signedinteger) else np.int64  # room for IGNORE
    padded = np.full((len(rows), int(lens.max(initial=0))), IGNORE, dtype=dtype)  # (N, T)
    padded[np.arange(padded.shape[1]) < lens[:, None]] = flat  # row-major fill = row order
    return padded, lens


def check_integer_ids(values: np.ndarray, what: str) -> None:
    """Refuse anything but integer (or bool) ids: a float such as 1.7 would otherwise be truncated to 1."""
    if len(values) and not (np.issubdtype(values.dtype, np.integer) or values.dtype == bool):
        bad = next((v for v in values.tolist() if isinstance(v, bool) or not isinstance(v, int)), values[0])
        raise StateTrackError(f"{what} must be integer label ids per position, got {bad!r:.40} "
                              f"({values.dtype}); take the argmax over the label axis of the logits first")


def _to_padded(x, what: str) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D array, an array of row arrays or a list of lists -> ((N, T) array, (N,) row lengths)."""
    if hasattr(x, "__array__") and not isinstance(x, (list, tuple)):
        arr = np.asarray(x)
        if arr.dtype != object:
            if arr.ndim != 2:
                hint = "; take the argmax over the last axis of the logits first" if arr.ndim == 3 else ""
                raise StateTrackError(f"{what} must be 2-D (rows, positions), got shape {arr.shape}{hint}")
            if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
                raise StateTrackError(f"{what} must be integer label ids, got dtype {arr.dtype}; "
                                      "take the argmax over the label axis of the logits first")
            return arr, np.full(len(arr), arr.shape[1], dtype=np.int64)
        x = list(arr)
    return _rows_to_padded(list(x), what)


def check_label_rows(x, what: str) -> None:
    """Refuse rows holding values that are not integer ids. The evaluate module calls this before its int32
    cast; the form of the input (rows, counts) is left to evaluate's own checks."""
    rows = [np.asarray(r).reshape(-1) for r in (x if x is not None else []) if isinstance(r, (list, tuple, np.ndarray))]
    if rows:
        check_integer_ids(np.concatenate(rows), what)


def _check_shapes(preds, refs) -> tuple[np.ndarray, np.ndarray]:
    p, p_lens = _to_padded(preds, "predictions")
    r, r_lens = _to_padded(refs, "references")
    if len(p) != len(r):
        raise StateTrackError(f"predictions have {len(p)} rows but references have {len(r)}; pass one row each")
    if len(r) == 0:
        raise StateTrackError("predictions and references are empty: there is nothing to score")
    if (p_lens != r_lens).any():
        i = int(np.argmax(p_lens != r_lens))
        raise StateTrackError(f"predictions row {i} has {p_lens[i]} positions but references row {i} has "
                              f"{r_lens[i]}; predictions and references must be aligned position by position")
    return p, r  # equal row lengths, hence the same (N, T) shape


# ----------------------------------------------------------------------------- per-row scores


@dataclass
class _Scores:
    """Per-position and per-row results of one comparison; rows without a scored position are dropped."""

    scored: np.ndarray  # (N, T) bool: the reference is not IGNORE
    correct: np.ndarray  # (N, T) bool: scored and predicted right
    num_scored: np.ndarray  # (R,) scored positions of each kept row
    num_correct: np.ndarray  # (R,) correctly predicted scored positions of each kept row
    final_correct: np.ndarray  # (R,) bool: the last scored position is right
    last_scored: np.ndarray  # (R,) index of the last scored position
    kept: np.ndarray  # (R,) row indices (into the input) of the kept rows
    refs: np.ndarray  # (R, T) references of the kept rows, padded with IGNORE


def _score(preds, refs) -> _Scores:
    p, r = _check_shapes(preds, refs)
    scored = r != IGNORE  # (N, T)
    if not scored.any():
        raise StateTrackError("no position is scored: every reference is -100; check that the labels "
                              "were not all masked")
    correct = (p == r) & scored  # (N, T)
    kept = np.flatnonzero(scored.any(axis=1))  # (R,)
    all_kept = len(kept) == len(scored)
    scored_k, correct_k = (scored, correct) if all_kept else (scored[kept], correct[kept])  # (R, T)
    last = scored.shape[1] - 1 - np.argmax(scored_k[:, ::-1], axis=1)  # (R,)
    return _Scores(scored=scored, correct=correct, num_scored=scored_k.sum(axis=1),
                   num_correct=correct_k.sum(axis=1), final_correct=correct_k[np.arange(len(kept)), last],
                   last_scored=last, kept=kept, refs=r if all_kept else r[kept])


def _group_counts(s: _Scores, group: np.ndarray, num_groups: int) -> dict[str, np.ndarray]:
    """Rows, scored positions and the right ones of each group of kept rows (keyed by `intervals.COUNT_KEYS`)."""
    def total(weights=None):
        return np.bincount(group, weights=weights, minlength=num_groups).astype(np.int64)

    return {"rows": total(), "sequences_right": total(s.num_correct == s.num_scored),
            "final_right": total(s.final_correct), "positions": total(s.num_scored),
            "tokens_right": total(s.num_correct)}


def _overall(s: _Scores) -> dict:
    """The three accuracies and their Wilson intervals over all kept rows."""
    entry = accuracy_entries(_group_counts(s, np.zeros(len(s.kept), dtype=np.int64), 1))[0]
    return {**{k: entry[k] for k in SUMMARY_KEYS}, **{f"{k}_ci": entry[f"{k}_ci"] for k in SUMMARY_KEYS}}


def _row_lengths(s: _Scores, lengths) -> np.ndarray:
    """The length of each kept row: the given column, or its positions up to the last scored one."""
    if lengths is None:
        return s.last_scored + 1
    arr, num_rows = np.asarray(lengths), len(s.scored)
    if arr.shape != (num_rows,):
        raise StateTrackError(f"lengths must be one integer per row ({num_rows} rows), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise StateTrackError(f"lengths must be one integer per row ({num_rows} rows), got dtype {arr.dtype}")
    if num_rows and arr.min() < 0:
        raise StateTrackError(f"lengths must be >= 0, got {arr.min()} in row {int(arr.argmin())}")
    return arr[s.kept]


def _length_counts(s: _Scores, lengths) -> tuple[np.ndarray, dict]:
    values, group = np.unique(_row_lengths(s, lengths), return_inverse=True)
    return values, _group_counts(s, group.reshape(-1), len(values))


def _by_length(values: np.ndarray, counts: dict) -> dict[int, dict]:
    return {int(length): entry for length, entry in zip(values, accuracy_entries(counts))}


def _by_position(s: _Scores) -> dict[str, list]:
    count = s.scored.sum(axis=0)  # (T,)
    right = s.correct.sum(axis=0)  # (T,)
    positions = np.flatnonzero(count)
    return {"position": positions.tolist(), "token_accuracy": (right[positions] / count[positions]).tolist(),
            "count": count[positions].tolist()}


# ----------------------------------------------------------------------------- public API


def token_accuracy(preds, refs) -> float:
    """Fraction of scored positions (reference != -100) predicted right, over all rows."""
    return _overall(_score(preds, refs))["token_accuracy"]


def sequence_accuracy(preds, refs) -> float:
    """Fraction of rows whose every scored position is right; rows with no scored position are left out."""
    return _overall(_score(preds, refs))["sequence_accuracy"]


def final_state_accuracy(preds, refs) -> float:
    """Fraction of rows whose last scored position is right; rows with no scored position are left out."""
    return _overall(_score(preds, refs))["final_state_accuracy"]


def accuracy_by_length(preds, refs, lengths=None) -> dict[int, dict]:
    """``{length: {token_accuracy, sequence_accuracy, final_state_accuracy, count, positions, <accuracy>_ci}}``,
    sorted by length.

    ``lengths`` is the task's ``length`` column (one int per row). Without it, a row's length is
    its number of positions up to and including its last scored one (padding never counts).
    ``count`` is the number of rows of that length with a scored position (what the sequence and
    final-state accuracies rest on), ``positions`` their scored positions (what token accuracy
    rests on); ``<accuracy>_ci`` is its 95 % Wilson interval [lo, hi]. Lengths whose rows have no
    scored position do not appear.
    """
    return _by_length(*_length_counts(_score(preds, refs), lengths))


def accuracy_by_position(preds, refs) -> dict[str, list]:
    """Token accuracy at each position t over the rows whose position t is scored.

    Returns parallel lists ``{"position": [...], "token_accuracy": [...], "count": [...]}``;
    positions that no row scores (e.g. a BOS column) are left out.
    """
    return _by_position(_score(preds, refs))


def mean_over_lengths(by_length: dict, key: str = "token_accuracy") -> float:
    """The unweighted mean of ``by_length[L][key]`` over the lengths L present (a `compute_metrics`
    ``by_length``, also one read back from a results file).

    >>> mean_over_lengths({41: {"token_accuracy": 1.0}, 42: {"token_accuracy": 0.5}})
    0.75
    """
    if not by_length:
        raise StateTrackError("by_length is empty: there is no length to average over")
    missing = [length for length, entry in by_length.items() if key not in entry]
    if missing:
        raise StateTrackError(f"no {key!r} in by_length[{missing[0]}]; available: {', '.join(by_length[missing[0]])}")
    return float(np.mean([entry[key] for entry in by_length.values()]))


def length_mean_token_accuracy(preds, refs, lengths=None) -> float:
    """DeepMind's score (Delétang et al. 2023): token accuracy on the scored positions of each length,
    averaged over the lengths with equal weight (`token_accuracy` pools the positions instead, so long
    rows weigh more). ``lengths`` as in `accuracy_by_length`: pass the task's ``length`` column to
    average over input lengths, as the paper does."""
    return mean_over_lengths(accuracy_by_length(preds, refs, lengths))


def chance_levels(refs) -> dict[str, float]:
    """The token, sequence and final-state accuracy of the best constant predictor on these references (ragged
    or padded, -100 = not scored): the chance levels `compute_metrics` corrects with (`chance`).

    >>> chance_levels([[1, 1], [0, 1], [1, 0], [0, 0]])  # balanced labels; one row all 1s, one all 0s
    {'token_accuracy': 0.5, 'sequence_accuracy': 0.25, 'final_state_accuracy': 0.5}
    """
    return chance_levels_padded(_to_padded(refs, "references")[0])


def max_length_at_threshold(by_length: dict[int, dict], threshold: float = 0.9, key: str = "sequence_accuracy") -> int:
    """The longest length L such that every length present that is <= L has ``key`` >= ``threshold``.

    Lengths are visited in increasing order and the last one before the first failure is
    returned: 0 if the shortest length already fails, the longest length present if none
    fails. Only lengths present in ``by_length`` count (a gap in the lengths is not a
    failure). With ``threshold=0.9`` this is the Illusion-of-State criterion "longest length
    up to which accuracy stays >= 90%".

    >>> max_length_at_threshold({2: {"sequence_accuracy": 1.0}, 5: {"sequence_accuracy": 0.95},
    ...                          6: {"sequence_accuracy": 0.5}, 7: {"sequence_accuracy": 1.0}})
    5
    """
    if not by_length:
        raise StateTrackError("by_length is empty: there is no length to check against the threshold")
    if not 0.0 <= threshold <= 1.0:
        raise StateTrackError(f"threshold must be between 0 and 1, got {threshold}")
    best = 0
    for length in sorted(by_length):
        if key not in by_length[length]:
            raise StateTrackError(f"no {key!r} in by_length[{length}]; available: {', '.join(by_length[length])}")
        if by_length[length][key] < threshold:
            break
        best = int(length)
    return best


def binned(lengths, counts: dict, threshold: float, binning: Binning) -> dict:
    """``by_bin``, the longest-length statistic over it and the ``binning`` settings, from per-length counts."""
    by_bin = bin_counts(lengths, counts, binning)
    longest = binned_max_length_at_threshold(by_bin, threshold, bound=binning.bound, min_rows=binning.min_rows)
    return {"binned_max_length_at_threshold": longest, "by_bin": by_bin,
            "binning": {**binning.as_dict(), "threshold": threshold, "key": "sequence_accuracy"}}


def compute_metrics(preds, refs, lengths=None, threshold: float = 0.9, binning: Binning | None = None,
                    chance=None) -> dict:
    """All metrics in one JSON-serialisable dict (one comparison, no recomputation).

    Keys: ``token_accuracy``, ``sequence_accuracy``, ``final_state_accuracy`` (floats in
    [0, 1]) and their 95 % Wilson intervals ``<accuracy>_ci`` ([lo, hi]);
    ``length_mean_token_accuracy`` (the unweighted mean over lengths of per-length token accuracy,
    Delétang et al.'s score, see `length_mean_token_accuracy`); ``num_sequences``
    (rows with at least one scored position: what the sequence and final-state accuracies
    rest on); ``num_scored_tokens`` (what token accuracy rests on); ``by_length`` (see
    `accuracy_by_length`); ``by_bin`` (the same entries over length bins of at least
    ``binning.min_rows`` rows, or ``binning.bin_edges``, each with its ``lengths`` [first,
    last]); ``max_length_at_threshold`` (int, per length, on sequence accuracy: one row can
    move it); ``binned_max_length_at_threshold`` (over the bins, see
    `length_bins.binned_max_length_at_threshold`; None when no bin has ``min_rows`` rows);
    ``binning`` (the settings used); ``by_position`` (see `accuracy_by_position`); ``chance``
    (per accuracy, that of the best constant predictor on these references, `chance`; or the
    given `chance`: one number for all three, or a mapping replacing some) and
    ``chance_corrected_accuracy`` (per accuracy, (acc - chance) / (1 - chance), None where
    chance is 1). Token intervals treat positions as independent, so they are too narrow (see
    `intervals`).
    """
    s = _score(preds, refs)
    values, counts = _length_counts(s, lengths)
    by_length = _by_length(values, counts)
    overall = _overall(s)
    return {**overall,
            "length_mean_token_accuracy": mean_over_lengths(by_length),
            "max_length_at_threshold": max_length_at_threshold(by_length, threshold),
            "num_sequences": len(s.kept),
            "num_scored_tokens": int(s.num_scored.sum()),
            "by_length": by_length,
            **binned(values, counts, threshold, binning or Binning()),
            "by_position": _by_position(s),
            **chance_entries(overall, s.refs, s.last_scored, chance)}


def completed(metrics: dict, threshold: float | None = None) -> dict:
    """A split's metrics as an older release wrote them, with what this release adds filled in: intervals and
    bins where the stored counts determine them (sequence and final-state per length; token accuracy
    overall), None where they do not (per-length positions were never stored). Metrics that already have
    the new keys, or hold no per-length counts, come back unchanged; nothing is recomputed from predictions."""
    by_length = metrics.get("by_length")
    if "binning" in metrics or not isinstance(by_length, dict) or not by_length or any(
            not isinstance(v, dict) or "count" not in v for v in by_length.values()):
        return metrics
    lengths, counts = by_length_counts(by_length)
    entries = dict(zip(lengths, accuracy_entries(counts)))
    out = {**metrics, "by_length": {k: {**entries[int(k)], **v} for k, v in by_length.items()}}
    rows, positions = metrics.get("num_sequences"), metrics.get("num_scored_tokens")
    for key, total in (("token_accuracy", positions), ("sequence_accuracy", rows), ("final_state_accuracy", rows)):
        value = metrics.get(key)
        out[f"{key}_ci"] = None if value is None or total is None else list(wilson(round(value * total), total))
    out.update(binned(lengths, counts, 0.9 if threshold is None else threshold, Binning()))
    out["binning"]["filled_in"] = "from an older results file: token counts per length were not stored"
    return out

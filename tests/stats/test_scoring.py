import doctest
import json
import time

import numpy as np
import pytest

from hf_statetrack import StateTrackError, scoring
from hf_statetrack.stats.scoring import (
    accuracy_by_length,
    accuracy_by_position,
    compute_metrics,
    final_state_accuracy,
    length_mean_token_accuracy,
    max_length_at_threshold,
    mean_over_lengths,
    sequence_accuracy,
    token_accuracy,
)
from hf_statetrack.tasks import IGNORE

# Three ragged rows, worked out by hand.
REFS = [[IGNORE, 0, 1, 2, 3],  # row 0: BOS not scored, 4 scored positions
        [5, IGNORE, 5],  # row 1: middle not scored, 2 scored positions
        [1, 2]]  # row 2: 2 scored positions
PREDS = [[7, 0, 1, 9, 3],  # row 0: position 3 wrong -> 3/4 right, last right, sequence wrong
         [5, 8, 4],  # row 1: position 0 right, position 2 wrong -> 1/2, last wrong (8 is not scored)
         [1, 2]]  # row 2: 2/2 right
# token accuracy = (3 + 1 + 2) / (4 + 2 + 2) = 6/8; sequence accuracy = 1/3 (row 2);
# final-state accuracy = 2/3 (rows 0 and 2).
# Default lengths = positions up to the last scored one: 5, 3, 2.


def test_hand_computed_scalars():
    assert token_accuracy(PREDS, REFS) == 0.75
    assert sequence_accuracy(PREDS, REFS) == 1 / 3
    assert final_state_accuracy(PREDS, REFS) == 2 / 3


OLD_KEYS = ("token_accuracy", "sequence_accuracy", "final_state_accuracy", "count")


def accuracies(by_length: dict) -> dict:
    """The accuracies and row count of each length (what these hand-computed tests check)."""
    return {length: {k: row[k] for k in OLD_KEYS} for length, row in by_length.items()}


def test_hand_computed_by_length_default_lengths():
    assert accuracies(accuracy_by_length(PREDS, REFS)) == {
        2: {"token_accuracy": 1.0, "sequence_accuracy": 1.0, "final_state_accuracy": 1.0, "count": 1},  # row 2
        3: {"token_accuracy": 0.5, "sequence_accuracy": 0.0, "final_state_accuracy": 0.0, "count": 1},  # row 1
        5: {"token_accuracy": 0.75, "sequence_accuracy": 0.0, "final_state_accuracy": 1.0, "count": 1},  # row 0
    }


def test_hand_computed_by_length_given_lengths():
    # task lengths 4, 2, 2: rows 1 and 2 share length 2 -> tokens (1 + 2) / (2 + 2), 1 of 2 sequences right
    by_length = accuracy_by_length(PREDS, REFS, lengths=[4, 2, 2])
    assert list(by_length) == [2, 4]
    assert accuracies(by_length)[2] == {"token_accuracy": 0.75, "sequence_accuracy": 0.5, "final_state_accuracy": 0.5,
                                        "count": 2}
    assert by_length[2]["positions"] == 4 and by_length[4]["positions"] == 4
    assert by_length[4]["count"] == 1


def test_length_mean_token_accuracy_by_hand():
    """DeepMind's score: per-length token accuracy, then the unweighted mean over lengths. Default lengths 2, 3, 5
    hold rows 2, 1, 0: (2/2 + 1/2 + 3/4) / 3 = 0.75, equal to the pooled 6/8 here only by chance; with task
    lengths 4, 2, 2 the rows 1 and 2 share length 2: ((1 + 2) / 4 + 3 / 4) / 2 = 0.75 again. A long wrong row
    tells the two apart: it weighs by its positions in the pooled accuracy, as one length in the mean."""
    assert length_mean_token_accuracy(PREDS, REFS) == pytest.approx((1.0 + 0.5 + 0.75) / 3)
    assert length_mean_token_accuracy(PREDS, REFS, lengths=[4, 2, 2]) == pytest.approx((0.75 + 0.75) / 2)
    # one more row of length 6 whose 5 scored positions are all wrong: pooled 6/13, per length (1 + .5 + .75 + 0) / 4
    refs, preds = [*REFS, [0, 0, 0, 0, 0, 0]], [*PREDS, [0, 1, 1, 1, 1, 1]]
    refs[3][0] = IGNORE
    assert token_accuracy(preds, refs) == pytest.approx(6 / 13)
    assert length_mean_token_accuracy(preds, refs) == pytest.approx((1.0 + 0.5 + 0.75 + 0.0) / 4)
    assert compute_metrics(preds, refs)["length_mean_token_accuracy"] == length_mean_token_accuracy(preds, refs)
    assert mean_over_lengths(compute_metrics(preds, refs)["by_length"]) == pytest.approx(0.5625)
    with pytest.raises(StateTrackError, match="no 'sequence' in by_length"):
        mean_over_lengths({3: {"token_accuracy": 1.0}}, key="sequence")


def test_hand_computed_by_position():
    # position 0: rows 1, 2 right; 1: rows 0, 2 right; 2: row 0 right, row 1 wrong; 3: row 0 wrong; 4: row 0 right
    assert accuracy_by_position(PREDS, REFS) == {"position": [0, 1, 2, 3, 4],
                                                 "token_accuracy": [1.0, 1.0, 0.5, 0.0, 1.0],
                                                 "count": [2, 2, 2, 1, 1]}


def test_compute_metrics_keys_and_json():
    m = compute_metrics(PREDS, REFS)
    assert m["max_length_at_threshold"] == 2  # length 2 solved, length 3 is not
    assert (m["num_sequences"], m["num_scored_tokens"]) == (3, 8)
    assert set(m) == {"token_accuracy", "sequence_accuracy", "final_state_accuracy", "length_mean_token_accuracy",
                      "max_length_at_threshold",
                      "num_sequences", "num_scored_tokens", "by_length", "by_position", "token_accuracy_ci",
                      "sequence_accuracy_ci", "final_state_accuracy_ci", "binned_max_length_at_threshold",
                      "by_bin", "binning", "chance", "chance_corrected_accuracy"}
    assert m["binning"] == {"min_rows": 20, "bin_edges": None, "bound": "point", "threshold": 0.9,
                            "key": "sequence_accuracy"}
    json.dumps(m, allow_nan=False)
    assert compute_metrics(PREDS, REFS, threshold=0.0)["max_length_at_threshold"] == 5


def test_module_doctests():
    assert doctest.testmod(scoring).failed == 0


def _pad(rows, fill, width=None):
    width = width or max(map(len, rows))
    return np.array([list(r) + [fill] * (width - len(r)) for r in rows])


@pytest.mark.parametrize("form", ["int64", "int32", "wider", "object_rows", "array_rows", "tuples"])
def test_padded_and_ragged_agree(form):
    expected = compute_metrics(PREDS, REFS)
    if form == "object_rows":  # what datasets' numpy formatting returns for ragged rows
        preds = np.array([np.array(r) for r in PREDS], dtype=object)
        refs = np.array([np.array(r) for r in REFS], dtype=object)
    elif form == "array_rows":
        preds, refs = [np.array(r, dtype=np.int32) for r in PREDS], [np.array(r, dtype=np.int32) for r in REFS]
    elif form == "tuples":
        preds, refs = tuple(map(tuple, PREDS)), tuple(map(tuple, REFS))
    else:
        width = 9 if form == "wider" else None  # extra padding columns are never scored
        preds, refs = _pad(PREDS, 99, width), _pad(REFS, IGNORE, width)
        if form == "int32":
            preds, refs = preds.astype(np.int32), refs.astype(np.int32)
    assert compute_metrics(preds, refs) == expected


def test_rows_without_a_scored_position_are_left_out():
    m = compute_metrics(PREDS + [[3, 3]], REFS + [[IGNORE, IGNORE]], lengths=[5, 3, 2, 7])
    assert m == compute_metrics(PREDS, REFS, lengths=[5, 3, 2])
    assert 7 not in m["by_length"]


# ----------------------------------------------------------------------------- threshold criterion


def _by_length(accuracies: dict) -> dict:
    return {length: {"sequence_accuracy": acc, "token_accuracy": 1.0} for length, acc in accuracies.items()}


@pytest.mark.parametrize("accuracies, expected", [
    ({2: 1.0, 3: 0.95, 4: 0.5}, 3),
    ({2: 0.89, 3: 1.0}, 0),  # the shortest length already fails
    ({2: 1.0, 3: 1.0, 40: 0.99}, 40),  # none fails; a gap in the lengths is not a failure
    ({5: 0.9}, 5),  # exactly at the threshold passes
    ({2: 1.0, 3: 0.2, 4: 1.0}, 2),  # accuracy recovering later does not count
    ({7: 1.0, 3: 1.0, 5: 0.0}, 3),  # dict order does not matter
], ids=["falls", "shortest_fails", "none_fails", "exact", "recovers", "unsorted"])
def test_max_length_at_threshold(accuracies, expected):
    assert max_length_at_threshold(_by_length(accuracies)) == expected


def test_max_length_at_threshold_exact_ratio():
    # 9 of 10 rows right gives exactly 0.9, which passes
    refs = [[1, 1]] * 10
    preds = [[1, 1]] * 9 + [[1, 0]]
    assert compute_metrics(preds, refs)["max_length_at_threshold"] == 2
    assert compute_metrics(preds, refs, threshold=0.91)["max_length_at_threshold"] == 0


def test_max_length_at_threshold_other_key_and_bad_arguments():
    assert max_length_at_threshold(_by_length({2: 0.0}), key="token_accuracy") == 2
    with pytest.raises(StateTrackError, match="no 'bogus' in by_length\\[2\\]; available: sequence_accuracy"):
        max_length_at_threshold(_by_length({2: 1.0}), key="bogus")
    with pytest.raises(StateTrackError, match="by_length is empty"):
        max_length_at_threshold({})
    with pytest.raises(StateTrackError, match="threshold must be between 0 and 1, got 90"):
        max_length_at_threshold(_by_length({2: 1.0}), threshold=90)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("preds, refs, message", [
    ([[1, 2], [1]], [[1, 2], [1, 2, 3]], "predictions row 1 has 1 positions but references row 1 has 3"),
    (np.zeros((2, 7), int), np.zeros((2, 8), int), "predictions row 0 has 7 positions but references row 0 has 8"),
    ([[1], [2]], [[1]], "predictions have 2 rows but references have 1"),
    ([], [], "predictions and references are empty"),
    ([[1, 2]], [[IGNORE, IGNORE]], "no position is scored: every reference is -100"),
    ([1, 2, 3], [1, 2, 3], "predictions must hold one sequence of label ids per row, but row 0 is 1"),
    (np.zeros((2, 3, 5)), np.zeros((2, 3), int), "got shape \\(2, 3, 5\\); take the argmax"),
    (np.zeros((2, 3)), np.zeros((2, 3), int), "predictions must be integer label ids, got dtype float64"),
    ([[0.5, 1.0]], [[0, 1]], "predictions must be integer label ids per position, got 0.5"),
    ([[[0.1, 0.9]]], [[1]], "predictions must be integer label ids per position"),
], ids=["ragged_rows", "padded_width", "row_count", "empty", "all_ignored", "flat", "logits", "float_array",
        "float_list", "nested"])
def test_bad_input_is_one_clear_error(preds, refs, message):
    with pytest.raises(StateTrackError, match=message):
        compute_metrics(preds, refs)


def test_bad_lengths():
    with pytest.raises(StateTrackError, match="lengths must be one integer per row \\(3 rows\\), got shape \\(2,\\)"):
        compute_metrics(PREDS, REFS, lengths=[1, 2])
    with pytest.raises(StateTrackError, match="got dtype float64"):
        accuracy_by_length(PREDS, REFS, lengths=[1.0, 2.0, 3.0])
    with pytest.raises(StateTrackError, match="lengths must be >= 0, got -4 in row 1"):  # was scored as length -4
        compute_metrics(PREDS, REFS, lengths=[1, -4, 3])


# ----------------------------------------------------------------------------- random vs a plain loop


def reference_metrics(preds, refs, lengths, threshold):
    """The same metrics, one row and one position at a time."""
    rows = []  # (length, scored, right, final right) per row with a scored position
    position_count, position_right = {}, {}
    for p_row, r_row, length in zip(preds, refs, lengths):
        scored = [t for t, r in enumerate(r_row) if r != IGNORE]
        if not scored:
            continue
        right = [t for t in scored if p_row[t] == r_row[t]]
        rows.append((length, len(scored), len(right), p_row[scored[-1]] == r_row[scored[-1]]))
        for t in scored:
            position_count[t] = position_count.get(t, 0) + 1
            position_right[t] = position_right.get(t, 0) + (p_row[t] == r_row[t])

    def summary(group):
        return {"token_accuracy": sum(g[2] for g in group) / sum(g[1] for g in group),
                "sequence_accuracy": sum(g[1] == g[2] for g in group) / len(group),
                "final_state_accuracy": sum(g[3] for g in group) / len(group)}

    by_length = {n: {**summary([g for g in rows if g[0] == n]), "count": sum(g[0] == n for g in rows)}
                 for n in sorted({g[0] for g in rows})}
    longest = 0
    for n, values in by_length.items():
        if values["sequence_accuracy"] < threshold:
            break
        longest = n
    positions = sorted(position_count)
    return {**summary(rows), "max_length_at_threshold": longest, "num_sequences": len(rows),
            "num_scored_tokens": sum(g[1] for g in rows), "by_length": by_length,
            "by_position": {"position": positions,
                            "token_accuracy": [position_right[t] / position_count[t] for t in positions],
                            "count": [position_count[t] for t in positions]}}


@pytest.mark.parametrize("seed", range(5))
def test_random_against_plain_loop(seed):
    rng = np.random.default_rng(seed)
    num_rows = int(rng.integers(1, 60))
    refs, preds = [], []
    for _ in range(num_rows):
        n = int(rng.integers(0, 12))
        r = rng.integers(0, 3, n)
        r[rng.random(n) < 0.25] = IGNORE
        p = np.where(rng.random(n) < 0.8, r, rng.integers(-1, 3, n))
        refs.append(r.tolist())
        preds.append(p.tolist())
    refs[0], preds[0] = [0, 1], [0, 2]  # at least one scored position
    lengths = rng.integers(1, 6, num_rows).tolist()
    threshold = float(rng.choice([0.0, 0.5, 0.9, 1.0]))
    assert old_keys(compute_metrics(preds, refs, lengths, threshold)) == reference_metrics(preds, refs, lengths,
                                                                                          threshold)
    default_lengths = [max([t + 1 for t, r in enumerate(row) if r != IGNORE], default=0) for row in refs]
    assert old_keys(compute_metrics(preds, refs)) == reference_metrics(preds, refs, default_lengths, 0.9)


def old_keys(metrics: dict) -> dict:
    """The keys `reference_metrics` computes (counts and intervals are tested in test_length_bins.py)."""
    keys = ("token_accuracy", "sequence_accuracy", "final_state_accuracy", "max_length_at_threshold",
            "num_sequences", "num_scored_tokens", "by_position")
    return {**{k: metrics[k] for k in keys}, "by_length": accuracies(metrics["by_length"])}


def test_large_padded_input_is_fast():
    num_rows, width = 100_000, 500
    refs = np.tile((np.arange(width) % 60).astype(np.int8), (num_rows, 1))  # (N, T)
    refs[:, 0] = IGNORE
    preds = refs.copy()
    preds[::7, 250] = 61  # one row in 7 wrong at position 250
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        m = compute_metrics(preds, refs)
        timings.append(time.perf_counter() - start)
    assert m["sequence_accuracy"] == 1 - len(range(0, num_rows, 7)) / num_rows
    assert min(timings) < 1.0, timings


@pytest.mark.parametrize("preds", [[[1, 2.9]], [[1.0, 2.0]], np.array([np.array([1, 2.9]), np.array([3.0])],
                                                                          dtype=object)],
                         ids=["float_after_int", "whole_floats", "object_rows"])
def test_a_float_anywhere_is_refused_not_truncated(preds):
    refs = [[1, 2]] if len(preds) == 1 else [[1, 2], [3]]
    with pytest.raises(StateTrackError, match="predictions must be integer label ids per position, got"):
        compute_metrics(preds, refs)
    with pytest.raises(StateTrackError, match="references must be integer label ids per position, got"):
        compute_metrics(refs, preds)

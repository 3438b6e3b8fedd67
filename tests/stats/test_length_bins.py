"""Length bins honour min_rows and fixed edges; the binned longest length does not move when one row of a
sparse length flips; older results are completed without recomputation."""

import doctest
import json

import numpy as np
import pytest

from hf_statetrack import StateTrackError
from hf_statetrack.stats import length_bins
from hf_statetrack.stats.length_bins import Binning, bin_counts, binned_max_length_at_threshold, contiguous_bins
from hf_statetrack.stats.scoring import completed, compute_metrics


def sparse_split(wrong_rows=(), lengths=range(41, 257), per_length=2):
    """`per_length` rows per length, every row right but those in `wrong_rows` (indices)."""
    refs, preds, row_lengths = [], [], []
    for length in lengths:
        for _ in range(per_length):
            refs.append([1] * 4)
            preds.append([1] * 4)
            row_lengths.append(length)
    for i in wrong_rows:
        preds[i] = [1, 1, 1, 0]
    return preds, refs, np.array(row_lengths)


@pytest.mark.parametrize("min_rows", [1, 7, 20, 50])
def test_bins_hold_min_rows_and_cover_every_length_once(min_rows):
    rng = np.random.default_rng(min_rows)
    rows = rng.integers(1, 6, 100)
    spans = contiguous_bins(rows, min_rows)
    assert spans[0][0] == 0 and spans[-1][1] == 100
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))  # contiguous, no gap, no overlap
    assert all(rows[a:b].sum() >= min_rows for a, b in spans)
    assert all(rows[a:b - 1].sum() < min_rows for a, b in spans[:-1])  # closed as soon as full


def test_a_split_smaller_than_min_rows_is_one_bin_and_the_statistic_is_none():
    preds, refs, lengths = sparse_split(lengths=range(1, 5))  # 8 rows
    m = compute_metrics(preds, refs, lengths)
    assert [b["lengths"] for b in m["by_bin"]] == [[1, 4]] and m["by_bin"][0]["count"] == 8
    assert m["binned_max_length_at_threshold"] is None
    assert compute_metrics(preds, refs, lengths, binning=Binning(min_rows=8))["binned_max_length_at_threshold"] == 4


def test_fixed_edges_are_honoured():
    preds, refs, lengths = sparse_split(lengths=range(41, 257))
    m = compute_metrics(preds, refs, lengths, binning=Binning(bin_edges=(65, 129)))
    assert [b["lengths"] for b in m["by_bin"]] == [[41, 64], [65, 128], [129, 256]]
    assert [b["count"] for b in m["by_bin"]] == [48, 128, 256]
    assert m["binning"]["bin_edges"] == [65, 129]
    sparse = compute_metrics(preds, refs, lengths, binning=Binning(bin_edges=(250,), min_rows=20))
    assert [b["count"] for b in sparse["by_bin"]] == [418, 14]  # the last bin is too small to count
    assert sparse["binned_max_length_at_threshold"] == 249


def test_one_flipped_row_of_a_sparse_length_moves_the_old_statistic_but_not_the_binned_one():
    clean = compute_metrics(*sparse_split())
    flipped = compute_metrics(*sparse_split(wrong_rows=[2 * (93 - 41)]))  # one of the 2 rows of length 93
    assert clean["max_length_at_threshold"] == 256 and flipped["max_length_at_threshold"] == 92
    assert clean["binned_max_length_at_threshold"] == flipped["binned_max_length_at_threshold"] == 256
    assert flipped["by_length"][93]["sequence_accuracy"] == 0.5 and flipped["by_length"][93]["count"] == 2


def test_lower_bound_is_stricter_than_the_point_estimate():
    preds, refs, lengths = sparse_split(wrong_rows=[0, 1], lengths=range(1, 21))  # length 1 fails: 18/20 in bin 1
    point = compute_metrics(preds, refs, lengths)
    lower = compute_metrics(preds, refs, lengths, binning=Binning(bound="lower"))
    assert point["binned_max_length_at_threshold"] == 20 and lower["binned_max_length_at_threshold"] == 0
    many = sparse_split(lengths=range(1, 21), per_length=50)  # 50 right rows per length: lower bound 0.93
    assert compute_metrics(*many, binning=Binning(bound="lower"))["binned_max_length_at_threshold"] == 20


def test_bin_counts_add_up_and_intervals_come_with_them():
    preds, refs, lengths = sparse_split(wrong_rows=[0, 5, 9], lengths=range(1, 31))
    m = compute_metrics(preds, refs, lengths)
    assert sum(b["count"] for b in m["by_bin"]) == m["num_sequences"] == 60
    assert sum(b["positions"] for b in m["by_bin"]) == m["num_scored_tokens"]
    for b in m["by_bin"]:
        lo, hi = b["sequence_accuracy_ci"]
        assert lo <= b["sequence_accuracy"] <= hi and b["count"] >= 20
    assert m["sequence_accuracy_ci"][0] < m["sequence_accuracy"] == 57 / 60 < m["sequence_accuracy_ci"][1]
    json.dumps(m, allow_nan=False)


@pytest.mark.parametrize("kwargs, message", [
    ({"min_rows": 0}, "min_rows must be a whole number >= 1"),
    ({"bound": "upper"}, "bound must be one of point, lower"),
    ({"bin_edges": (5, 3)}, "bin_edges must be increasing whole lengths"),
    ({"bin_edges": "5"}, "bin_edges must be increasing"),
])
def test_bad_settings_are_one_line(kwargs, message):
    with pytest.raises(StateTrackError, match=message):
        Binning(**kwargs)


def test_binned_statistic_skips_small_bins_and_checks_the_bound():
    bins = bin_counts([1, 2, 3], {"rows": [30, 2, 30], "sequences_right": [30, 0, 30]}, Binning(bin_edges=(2, 3)))
    assert binned_max_length_at_threshold(bins) == 3  # the 2-row bin of length 2 neither passes nor fails
    with pytest.raises(StateTrackError, match="bound must be one of"):
        binned_max_length_at_threshold(bins, bound="middle")


def test_completed_fills_what_old_results_determine_and_leaves_new_ones_alone():
    preds, refs, lengths = sparse_split(wrong_rows=[0, 3], lengths=range(1, 31))
    new = json.loads(json.dumps(compute_metrics(preds, refs, lengths)))  # as read back from results.json
    assert completed(new) is new
    old = {k: new[k] for k in ("token_accuracy", "sequence_accuracy", "final_state_accuracy",
                               "max_length_at_threshold", "num_sequences", "num_scored_tokens", "by_position")}
    old["by_length"] = {k: {key: v[key] for key in ("token_accuracy", "sequence_accuracy", "final_state_accuracy",
                                                    "count")} for k, v in new["by_length"].items()}
    filled = completed(old, threshold=0.9)
    for key in ("sequence_accuracy_ci", "final_state_accuracy_ci", "token_accuracy_ci",
                "binned_max_length_at_threshold"):
        assert filled[key] == pytest.approx(new[key])
    assert [b["lengths"] for b in filled["by_bin"]] == [b["lengths"] for b in new["by_bin"]]
    for got, want in zip(filled["by_bin"], new["by_bin"]):
        assert got["sequence_accuracy_ci"] == pytest.approx(want["sequence_accuracy_ci"])
    assert filled["by_bin"][0]["token_accuracy"] is None and filled["by_length"]["1"]["positions"] is None
    assert "filled_in" in filled["binning"] and "binning" not in old
    assert completed({"by_length": {}}) == {"by_length": {}}  # nothing to derive from


def test_module_doctests():
    result = doctest.testmod(length_bins)
    assert result.attempted > 0 and result.failed == 0

"""Chance levels (the best constant predictor) and chance-corrected accuracy: hand-checked cases, the fast path
against the brute-force reference on random references, and compute_metrics' keys."""

import doctest

import numpy as np
import pytest

from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.stats import chance
from hf_statetrack.stats.chance import chance_corrected, chance_levels_padded, chance_levels_ref
from hf_statetrack.stats.scoring import chance_levels, compute_metrics
from hf_statetrack.tasks import IGNORE


def test_balanced_binary_labels_give_one_half():
    refs = [[0, 1, 1, 0], [1, 0, 0, 1]]
    assert chance_levels(refs)["token_accuracy"] == 0.5
    assert chance_levels(refs)["final_state_accuracy"] == 0.5


def test_a_skewed_distribution_checked_by_hand():
    # label 2 at 6 of 10 scored positions, 0 at 3, 1 at 1; rows 0 and 3 are all 2; last labels 2, 0, 0, 2, 0
    refs = [[2, 2], [IGNORE, 2, 0], [1, 0], [2, IGNORE, 2], [2, 0, IGNORE]]
    assert chance_levels(refs) == {"token_accuracy": 0.6, "sequence_accuracy": 0.4, "final_state_accuracy": 0.6}
    # the majority label differs between accuracies: 2 for tokens and sequences, 0 for the last positions
    skew = [[2, 2, 0], [2, 2, 0], [1, 0]]
    assert chance_levels(skew) == pytest.approx({"token_accuracy": 4 / 8, "sequence_accuracy": 0.0,
                                                 "final_state_accuracy": 1.0})


@pytest.mark.parametrize("seed", range(5))
def test_fast_path_matches_the_brute_force_reference(seed):
    rng = np.random.default_rng(seed)
    rows = []
    for n in rng.integers(1, 9, 60):
        row = rng.choice(3, n, p=[0.7, 0.2, 0.1])
        row[rng.random(n) < 0.3] = IGNORE
        rows.append(row.tolist())
    rows += [[1, 1], [IGNORE, 1, 1], [IGNORE]]  # constant rows of a minority label, and a row with nothing scored
    padded = np.full((len(rows), max(map(len, rows))), IGNORE)
    for i, row in enumerate(rows):
        padded[i, :len(row)] = row
    assert chance_levels_padded(padded) == pytest.approx(chance_levels_ref(rows))


def test_chance_corrected_accuracy():
    assert chance_corrected(1.0, 0.5) == 1.0 and chance_corrected(0.5, 0.5) == 0.0
    assert chance_corrected(0.25, 0.5) == -0.5  # below the constant predictor
    assert chance_corrected(0.9, 0.6) == pytest.approx(0.75)
    assert chance_corrected(1.0, 1.0) is None and chance_corrected(None, 0.5) is None


def test_compute_metrics_corrects_each_accuracy_with_its_own_chance():
    refs = [[2, 2], [IGNORE, 2, 0], [1, 0], [2, IGNORE, 2], [2, 0, IGNORE]]
    preds = [[2, 2], [0, 2, 0], [1, 1], [2, 0, 2], [2, 0, 0]]  # row 2 misses its last position
    m = compute_metrics(preds, refs)
    assert m["chance"] == chance_levels(refs)
    assert m["token_accuracy"] == 0.9 and m["chance_corrected_accuracy"]["token_accuracy"] == pytest.approx(0.75)
    assert m["chance_corrected_accuracy"]["sequence_accuracy"] == pytest.approx((0.8 - 0.4) / 0.6)
    assert m["chance_corrected_accuracy"]["final_state_accuracy"] == pytest.approx((0.8 - 0.6) / 0.4)


def test_given_chance_replaces_the_computed_levels():
    refs, preds = [[0, 0, 0, 1]], [[0, 0, 0, 0]]
    assert compute_metrics(preds, refs, chance=0.5)["chance_corrected_accuracy"]["token_accuracy"] == 0.5
    m = compute_metrics(preds, refs, chance={"token_accuracy": 0.25})
    assert m["chance"] == {"token_accuracy": 0.25, "sequence_accuracy": 0.0, "final_state_accuracy": 1.0}
    assert m["chance_corrected_accuracy"]["final_state_accuracy"] is None  # one row: its last label is chance 1
    for bad, message in [(1.5, r"chance\['token_accuracy'\] must be a number in \[0, 1\]"),
                         ({"accuracy": 0.5}, "keys among token_accuracy"), ("half", "must be a number in")]:
        with pytest.raises(StateTrackError, match=message):
            compute_metrics(preds, refs, chance=bad)


def test_module_doctests():
    assert doctest.testmod(chance).failed == 0

"""Wilson score intervals against the textbook formula and published values; rows needed for a bin; t intervals
over seeds."""

import doctest
import math

import numpy as np
import pytest

from hf_statetrack.stats import intervals
from hf_statetrack.stats.intervals import accuracy_entries, rows_needed, seed_interval, t975, wilson


def textbook(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson (1927), written out one float at a time."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@pytest.mark.parametrize("k, n, published", [
    (8, 10, (0.4902, 0.9433)),  # the textbook formula, rounded to 4 places
    (0, 10, (0.0, 0.2775)),
    (10, 10, (0.7225, 1.0)),
    (50, 100, (0.4038, 0.5962)),
])
def test_known_values(k, n, published):
    lo, hi = wilson(k, n, z=1.96)
    assert (lo, hi) == pytest.approx(textbook(k, n), abs=1e-12)
    assert (round(lo, 4), round(hi, 4)) == published


def test_vectorised_matches_scalars_and_empty_groups_are_uninformative():
    k, n = np.array([0, 3, 7, 0]), np.array([5, 9, 7, 0])
    lo, hi = wilson(k, n)
    for i in range(3):
        assert (lo[i], hi[i]) == pytest.approx(wilson(int(k[i]), int(n[i])))
    assert (lo[3], hi[3]) == (0.0, 1.0) and wilson(0, 0) == (0.0, 1.0)
    assert np.all((lo <= k / np.maximum(n, 1)) & (k / np.maximum(n, 1) <= hi))


def test_interval_narrows_with_more_rows():
    widths = [np.subtract(*wilson(9 * n // 10, n)[::-1]) for n in (10, 100, 1000)]
    assert widths[0] > widths[1] > widths[2] > 0


def test_rows_needed_and_entries():
    assert rows_needed(20, 216) == 4320 and rows_needed(20, 10, lengths_per_bin=3) == 67
    entry, = accuracy_entries({"rows": [10], "sequences_right": [8], "final_right": [10], "positions": [40],
                               "tokens_right": [38]})
    assert (entry["count"], entry["positions"], entry["sequence_accuracy"]) == (10, 40, 0.8)
    assert entry["sequence_accuracy_ci"] == pytest.approx(list(wilson(8, 10)))
    assert entry["token_accuracy_ci"] == pytest.approx(list(wilson(38, 40)))
    old, = accuracy_entries({"rows": [10], "sequences_right": [8], "final_right": [9]})  # no token counts
    assert old["token_accuracy"] is None and old["token_accuracy_ci"] is None and old["positions"] is None


def test_module_doctests():
    assert doctest.testmod(intervals).failed == 0


def test_t_quantiles_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in [*range(1, 31), 31, 40, 60, 200]:
        assert t975(df) == pytest.approx(stats.t.ppf(0.975, df), abs=1e-4), df


def test_seed_interval_is_the_t_interval_of_the_mean():
    mean, lo, hi = seed_interval([0.8, 0.9, 1.0])
    assert mean == pytest.approx(0.9) and hi - mean == pytest.approx(mean - lo)
    assert hi - mean == pytest.approx(4.3027 * 0.1 / np.sqrt(3))  # sd 0.1, t(0.975, 2) = 4.3027
    assert seed_interval([0.7]) == (0.7, 0.7, 0.7)

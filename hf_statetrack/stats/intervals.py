"""Wilson score intervals, and the accuracies of groups of rows reported with their counts and intervals.

An accuracy of k right out of n is a binomial proportion; its 95 % Wilson score interval (Wilson 1927)
stays inside [0, 1] and, unlike the normal approximation, is not [1, 1] at 10 of 10:

>>> [round(x, 4) for x in wilson(8, 10)]
[0.4902, 0.9433]
>>> [round(x, 4) for x in wilson(10, 10)]
[0.7225, 1.0]

With n = 0 nothing is known: the interval is the whole [0, 1] (JSON has no NaN).

Over training seeds (a score per seed) the interval is Student's t: mean ± t(0.975, n - 1) · sd / sqrt(n).
Three seeds make it wide, as it should be:

>>> [round(x, 3) for x in seed_interval([0.8, 0.9, 1.0])]
[0.9, 0.652, 1.148]
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # the two-sided 95 % quantile of the standard normal


def wilson(successes, n, z: float = Z95):
    """(lo, hi) of the Wilson score interval of `successes` out of `n`; numpy arrays give arrays.

    centre = (p + z²/2n) / (1 + z²/n), half width = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²).
    n = 0 gives (0, 1).
    """
    k, n_ = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    safe = np.where(n_ > 0, n_, 1.0)
    p = k / safe
    denominator = 1 + z * z / safe
    centre = (p + z * z / (2 * safe)) / denominator
    half = z / denominator * np.sqrt(np.maximum(p * (1 - p) / safe + z * z / (4 * safe * safe), 0.0))
    lo = np.where(n_ > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    hi = np.where(n_ > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


# Student's t 0.975 quantiles for 1..30 degrees of freedom (any statistics table); beyond 30, a Cornish-Fisher
# expansion around the normal quantile, off by less than 1e-4 there (tests/stats/test_intervals.py checks both).
T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788, 2.1604,
        2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555,
        2.0518, 2.0484, 2.0452, 2.0423)


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with `df` >= 1 degrees of freedom."""
    if df <= len(T975):
        return T975[df - 1]
    z = Z95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def seed_interval(values) -> tuple[float, float, float]:
    """(mean, lo, hi): the mean of per-seed values and its 95 % Student's t interval; one value: (v, v, v)."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, mean, mean
    half = t975(len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return mean, mean - half, mean + half


def rows_needed(min_rows: int, num_lengths: int, lengths_per_bin: int = 1) -> int:
    """Test rows drawn uniformly over `num_lengths` lengths so that a bin of `lengths_per_bin` of them expects
    `min_rows` rows: 20 rows per length over 216 lengths is 4320 rows.

    >>> rows_needed(20, 216), rows_needed(20, 216, lengths_per_bin=8)
    (4320, 540)
    """
    return math.ceil(min_rows * num_lengths / max(lengths_per_bin, 1))


# What each accuracy counts, and out of what: (accuracy key, right-count key, total-count key).
ACCURACIES = (("token_accuracy", "tokens_right", "positions"), ("sequence_accuracy", "sequences_right", "rows"),
              ("final_state_accuracy", "final_right", "rows"))
COUNT_KEYS = ("rows", "sequences_right", "final_right", "positions", "tokens_right")


def accuracy_entries(counts: dict) -> list[dict]:
    """Per group (one index of the count arrays in `counts`, keyed by `COUNT_KEYS`): the three accuracies, the
    rows (``count``) and scored positions (``positions``) they rest on, and each accuracy's Wilson interval
    (``<accuracy>_ci``: [lo, hi]). Token intervals treat positions as independent trials, which they are
    not (the positions of one row share its state), so they are narrower than the truth; sequence and
    final-state intervals count rows, which are independent. A count given as None (an older results file
    that did not store it) gives None values."""
    num = len(counts["rows"])
    columns: dict[str, list] = {}
    for key, right_key, total_key in ACCURACIES:
        right, total = counts.get(right_key), counts.get(total_key)
        if right is None or total is None:
            columns[key] = columns[key + "_ci"] = [None] * num
            continue
        right, total = np.asarray(right, dtype=float), np.asarray(total, dtype=float)
        lo, hi = wilson(right, total)
        columns[key] = (right / np.where(total > 0, total, 1)).tolist()
        columns[key + "_ci"] = [[a, b] for a, b in zip(np.atleast_1d(lo).tolist(), np.atleast_1d(hi).tolist())]
    positions = counts.get("positions")
    columns["count"] = [int(n) for n in counts["rows"]]
    columns["positions"] = [None] * num if positions is None else [int(n) for n in positions]
    order = ("token_accuracy", "sequence_accuracy", "final_state_accuracy", "count", "positions",
             "token_accuracy_ci", "sequence_accuracy_ci", "final_state_accuracy_ci")
    return [{key: columns[key][i] for key in order} for i in range(num)]

"""Length bins that hold enough rows to mean something, and the longest-length statistic computed over them.

A test split of 500 rows over lengths 41..256 holds about 2 rows per length: per-length sequence accuracy
jumps between 0, 0.5 and 1, and "the longest length with sequence accuracy >= 0.9" is decided by one row.
Here contiguous lengths are pooled into bins of at least ``min_rows`` rows (default 20), or into fixed
bins (``bin_edges``: each edge starts a bin), and the statistic asks every bin with ``min_rows`` rows, in
order of length, to reach the threshold, on its point estimate (``bound="point"``) or on the lower end of
its 95 % Wilson interval (``bound="lower"``: "at least this accurate, with 95 % confidence").

Worked example: 2 rows per length 1..20; the two rows of length 5 fail. Per length, the statistic stops at
4; over bins of >= 20 rows (lengths 1..10 and 11..20, each 18 or 20 of 20 right) it is 20:

>>> rows = [2] * 20
>>> right = [0 if n == 5 else 2 for n in range(1, 21)]
>>> bins = bin_counts(list(range(1, 21)), {"rows": rows, "sequences_right": right}, Binning())
>>> [(b["lengths"], b["count"], b["sequence_accuracy"]) for b in bins]
[([1, 10], 20, 0.9), ([11, 20], 20, 1.0)]
>>> binned_max_length_at_threshold(bins, 0.9), binned_max_length_at_threshold(bins, 0.9, bound="lower")
(20, 0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..core.errors import StateTrackError
from .intervals import COUNT_KEYS, accuracy_entries

BOUNDS = ("point", "lower")
DEFAULT_MIN_ROWS = 20


@dataclass(frozen=True)
class Binning:
    """How lengths are pooled and how the longest-length statistic reads a bin."""

    min_rows: int = DEFAULT_MIN_ROWS  # rows a bin needs (to be formed, and to count for the statistic)
    bin_edges: tuple | None = None  # fixed bins instead: each edge starts one (lengths below the first: a bin)
    bound: str = "point"  # "point": the accuracy itself; "lower": its Wilson lower bound

    def __post_init__(self):
        if isinstance(self.min_rows, bool) or not isinstance(self.min_rows, int) or self.min_rows < 1:
            raise StateTrackError(f"min_rows must be a whole number >= 1, got {self.min_rows!r}")
        if self.bound not in BOUNDS:
            raise StateTrackError(f"bound must be one of {', '.join(BOUNDS)}, got {self.bound!r}")
        if self.bin_edges is not None:
            edges = list(self.bin_edges) if isinstance(self.bin_edges, (list, tuple)) else None
            if not edges or not all(isinstance(e, int) and not isinstance(e, bool) for e in edges) or any(
                    b <= a for a, b in zip(edges, edges[1:])):
                raise StateTrackError(f"bin_edges must be increasing whole lengths, e.g. [41, 65, 129]; got "
                                      f"{self.bin_edges!r}")
            object.__setattr__(self, "bin_edges", tuple(edges))

    @classmethod
    def of(cls, min_rows=None, bin_edges=None, bound=None) -> Binning:
        """Unset (None) settings take the defaults."""
        return cls(DEFAULT_MIN_ROWS if min_rows is None else min_rows, bin_edges, bound or "point")

    def as_dict(self) -> dict:
        data = asdict(self)
        data["bin_edges"] = None if self.bin_edges is None else list(self.bin_edges)
        return data


def contiguous_bins(rows, min_rows: int) -> list[tuple[int, int]]:
    """(start, stop) index ranges over the per-length row counts `rows` (sorted by length): each closes once it
    holds `min_rows` rows; a short remainder joins the previous bin (or is the only bin).

    >>> contiguous_bins([5, 10, 6, 20, 3], 20)
    [(0, 3), (3, 5)]
    """
    bins, start, total = [], 0, 0
    for i, n in enumerate(rows):
        total += int(n)
        if total >= min_rows:
            bins.append((start, i + 1))
            start, total = i + 1, 0
    if start < len(rows):
        bins[-1:] = [(bins[-1][0] if bins else start, len(rows))]
    return bins


def edge_bins(lengths, edges) -> list[tuple[int, int]]:
    """(start, stop) index ranges of the sorted `lengths` falling between consecutive `edges` (empty bins skipped).

    >>> edge_bins([1, 2, 5, 9, 12], [5, 10])
    [(0, 2), (2, 4), (4, 5)]
    """
    group = np.searchsorted(np.asarray(edges), np.asarray(lengths), side="right")
    cuts = [0, *(np.flatnonzero(np.diff(group)) + 1).tolist(), len(group)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def bin_counts(lengths, counts: dict, binning: Binning) -> list[dict]:
    """The bins of the sorted `lengths` with their per-length `counts` (arrays keyed by `intervals.COUNT_KEYS`;
    missing keys or None give None accuracies) summed: one `accuracy_entries` dict per bin plus its
    ``lengths`` [first, last]."""
    rows = np.asarray(counts["rows"])
    spans = (edge_bins(lengths, binning.bin_edges) if binning.bin_edges is not None
             else contiguous_bins(rows, binning.min_rows))
    summed = {key: None if counts.get(key) is None else
              np.array([np.sum(np.asarray(counts[key])[a:b]) for a, b in spans]) for key in COUNT_KEYS}
    entries = accuracy_entries(summed)
    return [{"lengths": [int(lengths[a]), int(lengths[b - 1])], **entry} for (a, b), entry in zip(spans, entries)]


def binned_max_length_at_threshold(by_bin: list[dict], threshold: float = 0.9, key: str = "sequence_accuracy",
                                   bound: str = "point", min_rows: int = DEFAULT_MIN_ROWS) -> int | None:
    """The last length of the last bin up to which every bin holding at least `min_rows` rows has `key` (its
    point estimate, or with ``bound="lower"`` its Wilson lower bound) >= `threshold`. Bins with fewer rows
    neither pass nor fail; 0 if the first counted bin fails; None if no bin has `min_rows` rows (then the
    split is too small to say). Keep `scoring.max_length_at_threshold` for the per-length definition."""
    if bound not in BOUNDS:
        raise StateTrackError(f"bound must be one of {', '.join(BOUNDS)}, got {bound!r}")
    counted = [b for b in by_bin if b["count"] >= min_rows and b.get(key) is not None]
    if not counted:
        return None
    best = 0
    for b in counted:
        value = b[key] if bound == "point" else b[f"{key}_ci"][0]
        if value < threshold:
            break
        best = b["lengths"][1]
    return best


def by_length_counts(by_length: dict) -> tuple[list[int], dict]:
    """Sorted lengths and per-length counts recovered from a ``by_length`` table (keys may be JSON strings):
    right counts are accuracy x total, exact for the stored ratios; token counts need ``positions``, which
    older results did not store (then None)."""
    lengths = sorted(int(k) for k in by_length)
    rows_by = {int(k): v for k, v in by_length.items()}
    rows = [int(rows_by[n]["count"]) for n in lengths]

    def right(key, totals):
        if totals is None or any(rows_by[n].get(key) is None for n in lengths):
            return None
        return [round(rows_by[n][key] * t) for n, t in zip(lengths, totals)]

    positions = None if any(rows_by[n].get("positions") is None for n in lengths) else [
        int(rows_by[n]["positions"]) for n in lengths]
    return lengths, {"rows": rows, "sequences_right": right("sequence_accuracy", rows),
                     "final_right": right("final_state_accuracy", rows), "positions": positions,
                     "tokens_right": right("token_accuracy", positions)}

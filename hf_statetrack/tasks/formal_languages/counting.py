"""Exact counting and exact uniform sampling for the counter languages (Dyck, bounded Dyck, Boolean, Shuffle).

A string of these languages is a walk of one height h (bracket depth, operands still owed): symbol s moves
h by ``deltas[s]``, the walk starts at `start`, stays in [floor, top] until its last symbol and ends at `end`.
Counting the completions of every (remaining length r, height h) backwards::

    ways[0, h] = [h == end]
    ways[r, h] = sum_s ways[r-1, h + deltas[s]]      (h + deltas[s] must lie in [floor, top] unless r-1 == 0)

and then drawing each symbol with probability ways(after it) / ways(before it) gives every string of the
length the same probability. Example, Dyck-1 ("(" +1, ")" -1): ways[4, 0] = 2 ("(())", "()()"); the first
symbol must be "(" (ways[3, -1] does not exist); after "(" the draw is "(" or ")" with ways[2, 2] = 1 against
ways[2, 0] = 1, i.e. probability 1/2 each, so each of the two strings has probability 1/2.

Sampling runs on rows sorted by decreasing length, so the rows still being written at step t are a prefix
``[:active[t]]`` (one Python loop over time, vectorised over rows, no masks).
"""

from __future__ import annotations

from math import comb

import numpy as np


def active_rows(lengths: np.ndarray, width: int) -> np.ndarray:
    """active[t] = number of rows longer than t, for `lengths` sorted in decreasing order."""
    return np.searchsorted(-lengths, -np.arange(width), side="left")


def _successors(ways: np.ndarray, deltas) -> np.ndarray:
    """(..., H, S): ways[..., h + deltas[s]], 0 where the height h + deltas[s] falls outside [0, H)."""
    height = ways.shape[-1]
    out = np.zeros((*ways.shape, len(deltas)), dtype=ways.dtype)
    for s, d in enumerate(deltas):
        lo, hi = max(0, -d), min(height, height - d)
        if lo < hi:
            out[..., lo:hi, s] = ways[..., lo + d:hi + d]
    return out


def _before_last(ways: np.ndarray, remaining: int, floor: int) -> np.ndarray:
    """`ways` with heights below `floor` removed unless the walk ends there (`remaining` == 0)."""
    if remaining == 0 or floor == 0:
        return ways
    ways = ways.copy()
    ways[..., :floor] = 0
    return ways


def walk_counts(deltas, max_remaining: int, top: int, floor: int = 0, end: int = 0, exact: bool = False):
    """ways[r, h] for 0 <= r <= max_remaining, 0 <= h <= top (see the module docstring).

    exact=True: Python ints (use for `num_strings`). Otherwise floats with each row r rescaled to max 1,
    which keeps lengths in the hundreds finite and leaves ratios within a row, all sampling needs, intact.
    """
    ways = np.zeros((max_remaining + 1, top + 1), dtype=object if exact else np.float64)
    ways[0, end] = 1
    for r in range(1, max_remaining + 1):
        ways[r] = _successors(_before_last(ways[r - 1], r - 1, floor), deltas).sum(axis=-1)
        if not exact and ways[r].max() > 0:
            ways[r] /= ways[r].max()
    return ways


def move_cdf(ways: np.ndarray, deltas, floor: int = 0) -> np.ndarray:
    """cdf[r, h, s] = P(next symbol <= s | r symbols left, height h); row r = 0 is unused.

    Unreachable states (no completion) get cdf 1 everywhere; the last column is exactly 1.
    """
    prev = ways[:-1].copy()  # prev[r-1] counts the completions after the symbol drawn with r left
    prev[1:, :floor] = 0
    cum = np.cumsum(_successors(prev, deltas), axis=-1)  # (R, H, S)
    total = cum[..., -1:]
    cdf = np.divide(cum, total, out=np.ones_like(cum), where=total > 0)
    cdf[..., -1] = 1.0
    return np.concatenate([np.ones_like(cdf[:1]), cdf])


def sample_walks(rng: np.random.Generator, cdf: np.ndarray, deltas, lengths: np.ndarray, start: int):
    """Draw one walk per row from `cdf` (lengths sorted decreasing): symbols (T, N) and heights after each (T, N).

    Positions past a row's length hold 0.
    """
    width, n = int(lengths.max(initial=0)), len(lengths)
    deltas = np.asarray(deltas)
    symbols = np.zeros((width, n), dtype=np.int16)
    heights = np.zeros((width, n), dtype=np.int64)
    height = np.full(n, start, dtype=np.int64)
    for t, a in enumerate(active_rows(lengths, width)):
        cum = cdf[lengths[:a] - t, height[:a]]  # (a, S)
        # the first s with cdf > u: P(s) = cdf[s] - cdf[s-1], and a symbol of probability 0 is never drawn
        s = (cum[:, :-1] <= rng.random(a)[:, None]).sum(axis=1)
        height[:a] += deltas[s]
        symbols[t, :a], heights[t, :a] = s, height[:a]
    return symbols, heights


def catalan(n: int) -> int:
    return comb(2 * n, n) // (n + 1)


def shuffle_count(pairs: int, length: int) -> int:
    """Strings of `length` in Shuffle-`pairs` (exact): sum over the pairs per type of multinomial x prod Catalan.

    shuffle_count(2, 4) = C(4,0)*1*2 + C(4,2)*1*1 + C(4,4)*2*1 = 2 + 6 + 2 = 10: (()) ()() [[]] [][]
    and the six interleavings of () with [], among them "([)]" and "[(])".
    """
    if length % 2:
        return 0
    half = length // 2
    counts = [catalan(s) for s in range(half + 1)]  # one bracket type
    for _ in range(pairs - 1):
        counts = [sum(comb(2 * s, 2 * a) * catalan(a) * counts[s - a] for a in range(s + 1)) for s in range(half + 1)]
    return counts[half]


def shuffle_split_cdfs(pairs: int, max_half: int) -> list[np.ndarray]:
    """cdfs[i][s, a] = P(type i gets <= a of the s bracket pairs that types i.. share), for a uniform string.

    Strings with a_i pairs of type i number (2n)! prod_i c(a_i) with c(a) = Catalan(a) / (2a)! = 1 / (a! (a+1)!)
    (choose the positions of each type, then a Dyck-1 word per type); sums of products of c are convolutions,
    done in log space because c(a) underflows for a in the hundreds.
    """
    s = np.arange(max_half + 1)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, max_half + 2)))])
    log_c = -(log_fact[s] + log_fact[s + 1])
    rest = s[:, None] - s[None, :]  # (s, a) -> pairs left for the other types
    log_others = log_c  # log sum of prod c over the splits among the types drawn later
    cdfs = []
    for _ in range(pairs - 1):
        terms = np.where(rest >= 0, log_c[None, :] + log_others[np.maximum(rest, 0)], -np.inf)
        peak = terms.max(axis=1, keepdims=True)
        weights = np.exp(terms - peak)
        cdf = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
        cdf[rest <= 0] = 1.0
        cdfs.append(cdf)
        log_others = peak[:, 0] + np.log(weights.sum(axis=1))
    return cdfs[::-1]  # the first type drawn shares the pairs with all the others


def shuffle_split(rng: np.random.Generator, halves: np.ndarray, pairs: int) -> np.ndarray:
    """(N, pairs) bracket pairs of each type in a uniform Shuffle-`pairs` string with halves[i] pairs in all."""
    left = np.asarray(halves, dtype=np.int64).copy()
    split = np.zeros((len(left), pairs), dtype=np.int64)
    for i, cdf in enumerate(shuffle_split_cdfs(pairs, int(left.max(initial=0)))):
        split[:, i] = (cdf[left] <= rng.random(len(left))[:, None]).sum(axis=1)
        left -= split[:, i]
    split[:, -1] = left
    return split


def sample_shuffle(rng: np.random.Generator, lengths: np.ndarray, pairs: int):
    """Uniform Shuffle-`pairs` strings (lengths even, sorted decreasing): tokens (T, N), open masks (T, N).

    Token 2i opens and 2i+1 closes type i; mask bit i is set while type i has brackets left open.
    A uniform string is a split into pairs per type (`shuffle_split`), a uniform interleaving of the types
    (type i next with probability = its share of the symbols left) and a uniform Dyck-1 word per type
    (each type's own walk drawn from the Dyck-1 completion counts).
    """
    width, n = int(lengths.max(initial=0)), len(lengths)
    left = 2 * shuffle_split(rng, lengths // 2, pairs)  # (N, pairs) symbols of each type still to write
    dyck = (1, -1)
    p_open = move_cdf(walk_counts(dyck, width, width // 2 + 1), dyck)[..., 0]  # (R+1, H) P("(" | r, depth)
    depth = np.zeros((n, pairs), dtype=np.int64)
    open_mask = np.zeros(n, dtype=np.int64)
    tokens = np.zeros((width, n), dtype=np.int16)
    masks = np.zeros((width, n), dtype=np.int64)
    all_rows = np.arange(n)
    for t, a in enumerate(active_rows(lengths, width)):
        rows, cum = all_rows[:a], np.cumsum(left[:a], axis=1)
        kind = (cum <= rng.integers(0, cum[:, -1])[:, None]).sum(axis=1)
        r, d = left[rows, kind], depth[rows, kind]
        opens = rng.random(a) < p_open[r, d]
        d = d + np.where(opens, 1, -1)
        left[rows, kind], depth[rows, kind] = r - 1, d
        bit = np.left_shift(1, kind)
        open_mask[:a] = np.where(d > 0, open_mask[:a] | bit, open_mask[:a] & ~bit)
        tokens[t, :a], masks[t, :a] = 2 * kind + ~opens, open_mask[:a]
    return tokens, masks


def typed_brackets(moves: np.ndarray, depths: np.ndarray, lengths: np.ndarray, k: int, m: int):
    """Tokens of a walk over moves 0..k-1 (open that type) and k (close the bracket on top), and the open type on
    top after each step; (T, N) each, rows sorted by decreasing length, depth at most `m`."""
    width, n = moves.shape
    stack = np.zeros((n, m + 1), dtype=np.int16)  # stack[i, d]: type opened at depth d+1; column m scratch
    tokens, tops = np.zeros((width, n), dtype=np.int16), np.zeros((width, n), dtype=np.int16)
    all_rows = np.arange(n)
    for t, a in enumerate(active_rows(lengths, width)):
        rows, move, depth = all_rows[:a], moves[t, :a], depths[t, :a]
        opening = move < k
        kind = np.where(opening, move, stack[rows, depth])  # before a close the top sat at index depth
        stack[rows, np.where(opening, depth - 1, m)] = kind
        tokens[t, :a] = 2 * kind + ~opening
        tops[t, :a] = stack[rows, np.maximum(depth - 1, 0)]
    return tokens, tops


def sample_dyck_k(rng: np.random.Generator, lengths: np.ndarray, k: int) -> np.ndarray:
    """Uniform Dyck-k words (k bracket types, properly nested) of the given even lengths, sorted decreasing: (T, N).

    A word is a Dyck-1 walk with each opening step given one of k types (the closing step closes the one on
    top), so counting walks with an opening step weighted by k draws every word of a length with the same
    probability: the words with m pairs are Catalan(m) k^m, as many per shape.
    """
    width = int(lengths.max(initial=0))
    deltas = (1,) * k + (-1,)
    cdf = move_cdf(walk_counts(deltas, width, width // 2 + 1), deltas)
    moves, depths = sample_walks(rng, cdf, deltas, lengths, start=0)
    return typed_brackets(moves, depths, lengths, k, width // 2 + 1)[0]


def type_depths(tokens: np.ndarray, pairs: int) -> np.ndarray:
    """(T, N) tokens (open_i = 2i, close_i = 2i + 1) -> (T, N, pairs) brackets of each type open after each position."""
    opens = 2 * np.arange(pairs)
    steps = (tokens[..., None] == opens).astype(np.int64) - (tokens[..., None] == opens + 1)  # (T, N, pairs)
    return np.cumsum(steps, axis=0)


def open_masks(tokens: np.ndarray, pairs: int) -> np.ndarray:
    """(T, N) tokens -> (T, N) masks: bit i set while type i has a bracket open (as `sample_shuffle` returns)."""
    return ((type_depths(tokens, pairs) > 0) << np.arange(pairs)).sum(axis=-1)

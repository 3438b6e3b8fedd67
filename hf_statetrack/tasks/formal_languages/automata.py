"""A small DFA engine: live states, exact string counts and exact uniform sampling by path counting.

A `DFA` is a complete transition table over an alphabet, with state 0 the start. ``N_k(s)`` is the
number of strings of length k that lead from state s to an accepting state::

    N_0(s) = 1 if s accepts else 0            N_k(s) = sum over symbols c of N_{k-1}(delta(s, c))

Counts are exact Python ints (5^500 overflows float64). To draw a string of length n uniformly,
read it left to right and, in state s with r symbols still to draw, pick c with probability
``N_{r-1}(delta(s, c)) / N_r(s)``. Along any accepted string the product of these factors
telescopes to ``1 / N_n(start)``: every string of length n is equally likely. The probabilities are
exact ratios of ints rounded once to float64, so "exact" means up to that rounding (~1e-16).

Example: (ab)* over {a, b} as states {0: expect a (accepting), 1: expect b, 2: dead}::

    >>> dfa = DFA.from_rules("ab", 0, lambda s, c: {(0, "a"): 1, (1, "b"): 0}.get((s, c)), lambda s: s == 0)
    >>> [dfa.num_strings(n) for n in range(5)]
    [1, 0, 1, 0, 1]
    >>> dfa.allowed_next.tolist()          # per state: may symbol c follow and still reach acceptance?
    [[True, False], [False, True], [False, False]]
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np

from ...core.errors import StateTrackError


class DFA:
    """A complete DFA: ``table[s, c]`` is the next state, ``accepting[s]`` says whether s accepts."""

    def __init__(self, alphabet: Sequence[str], table, accepting):
        self.alphabet = tuple(alphabet)
        self.table = np.asarray(table, dtype=np.intp)  # (S, A)
        self.accepting = np.asarray(accepting, dtype=bool)  # (S,)
        if self.table.shape != (len(self.accepting), len(self.alphabet)):
            raise ValueError(f"table shape {self.table.shape} does not match {len(self.accepting)} states x "
                             f"{len(self.alphabet)} symbols")
        self.names: list = list(range(len(self.accepting)))  # from_rules puts its own state names here
        self.live = self._live_states()
        self.allowed_next = self.live[self.table]  # (S, A): c keeps a string of the language reachable
        self._counts = [self.accepting.astype(object) * 1]  # _counts[k][s] = N_k(s), Python ints
        self._cdf = np.ones((1, self.num_states, len(self.alphabet)))  # _cdf[r, s, c], see next_symbol_cdf

    @classmethod
    def from_rules(cls, alphabet: Sequence[str], start: Hashable, step: Callable[[Hashable, str], Hashable | None],
                   accept: Callable[[Hashable], bool]) -> DFA:
        """Build the reachable part of a DFA given by a step function; ``step`` returns None to reject for good.

        States are numbered in breadth-first order from `start` (state 0); a dead sink is added last
        when some step returns None."""
        index, order, rows = {start: 0}, [start], []
        for state in order:  # `order` grows while we walk it: breadth-first search
            row = []
            for symbol in alphabet:
                nxt = step(state, symbol)
                if nxt is not None and nxt not in index:
                    index[nxt] = len(order)
                    order.append(nxt)
                row.append(-1 if nxt is None else index[nxt])
            rows.append(row)
        accepting = [bool(accept(s)) for s in order]
        table = np.array(rows, dtype=np.intp).reshape(len(order), len(alphabet))
        if (table < 0).any():
            dead = len(order)
            table = np.vstack([np.where(table < 0, dead, table), np.full((1, len(alphabet)), dead)])
            accepting.append(False)
            order.append(None)
        dfa = cls(alphabet, table, accepting)
        dfa.names = order  # names[s]: the rule state numbered s (None for the dead sink)
        return dfa

    @property
    def num_states(self) -> int:
        return len(self.accepting)

    def _live_states(self) -> np.ndarray:
        """States from which an accepting state is reachable (backward closure from the accepting set)."""
        live = self.accepting.copy()
        while True:
            grown = live | live[self.table].any(axis=1)
            if (grown == live).all():
                return live
            live = grown

    def visited_states(self) -> np.ndarray:
        """States reached after reading at least one symbol: the states whose labels can occur in a row."""
        seen = np.zeros(self.num_states, dtype=bool)
        frontier = np.unique(self.table[0])
        while len(frontier):
            seen[frontier] = True
            frontier = np.setdiff1d(np.unique(self.table[frontier]), np.flatnonzero(seen))
        return np.flatnonzero(seen)

    def num_strings(self, length: int) -> int:
        """Exact number of accepted strings of this length."""
        self._extend_counts(length)
        return int(self._counts[length][0])

    def _extend_counts(self, length: int) -> None:
        while len(self._counts) <= length:
            self._counts.append(self._counts[-1][self.table].sum(axis=1))  # object arrays: exact int sums

    def next_symbol_cdf(self, max_length: int) -> np.ndarray:
        """(max_length + 1, S, A) float64: ``cdf[r, s, c]`` = P(next symbol <= c | state s, r symbols to draw).

        Each entry is an exact ratio of ints rounded once, so ``cdf[r, s, -1]`` is exactly 1.0. Where no
        string of length r leaves s (and for r = 0) the row is all ones, i.e. "symbol 0"."""
        self._extend_counts(max_length)
        rows = []
        for r in range(len(self._cdf), max_length + 1):
            below = np.cumsum(self._counts[r - 1][self.table], axis=1)  # (S, A) ints
            total = self._counts[r]
            empty = total == 0
            row = (below / np.where(empty, 1, total)[:, None]).astype(np.float64)  # int / int: correctly rounded
            row[empty] = 1.0
            rows.append(row)
        if rows:
            self._cdf = np.concatenate([self._cdf, np.stack(rows)])
        return self._cdf[: max_length + 1]

    def sample(self, rng: np.random.Generator, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Uniform strings of the given lengths, time-major: (symbols, states), each (T, N) with T = max length.

        ``states[t, i]`` is row i's state after reading its first t + 1 symbols. Positions past a row's
        length hold symbol 0 and are not meaningful. The loop runs over time, vectorised across rows."""
        lengths = np.asarray(lengths, dtype=np.int64)
        for length in np.unique(lengths):
            if length < 0 or self.num_strings(int(length)) == 0:
                raise StateTrackError(f"the language has no strings of length {length}; draw lengths from "
                                      f"length_support")
        n, width, num_states = len(lengths), int(lengths.max(initial=0)), self.num_states
        cdf = self.next_symbol_cdf(width).reshape(-1, len(self.alphabet))  # row r * S + s
        uniform = rng.random((width, n))
        symbols = np.empty((width, n), dtype=np.uint8 if len(self.alphabet) <= 256 else np.int32)
        states = np.empty((width, n), dtype=np.uint8 if num_states <= 256 else np.int32)
        state = np.zeros(n, dtype=np.intp)
        for t in range(width):
            left = np.maximum(lengths - t, 0)  # symbols still to draw, this one included
            # c is drawn when cdf[c - 1] <= u < cdf[c]: the number of cdf entries <= u
            symbol = (cdf[left * num_states + state] <= uniform[t, :, None]).sum(axis=1)
            state = self.table[state, symbol]
            symbols[t], states[t] = symbol, state
        return symbols, states

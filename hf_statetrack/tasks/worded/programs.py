"""Straight-line Python programs over k variables; the answer is the value of one variable.

A row assigns every variable a value in 0..m-1, then runs ``length`` statements, each drawn by picking one of four
kinds uniformly, then one statement of that kind uniformly::

    assign     a = 7;                      copy       b = a;
    swap       a, b = b, a;                increment  c = (c + 1) % 10;

and asks for the value of a queried variable (after every statement: the labels; probes read them at
the end of each statement). The text is itself Python, the question an ``assert``, so a row with its
answers filled in runs without error (the tests `exec` it in an empty namespace)::

    a = 3; b = 0; c = 8; c = (c + 1) % 10; a, c = c, a; b = a; assert b == 9

Tokens: the queried variable (``?b``), the k initial assignments, then the statements (an assignment
token is the same statement whether it initialises or updates). Labels: the queried value, m classes.
"""

from __future__ import annotations

import itertools
import string

import numpy as np

from ...core.errors import StateTrackError
from ..registry import register_task
from .base import TextLayout, TextTask

KINDS = ("assign", "swap", "copy", "increment")


def statements(k: int, m: int) -> tuple[list[str], list[tuple[str, list[int], list[int]]]]:
    """Every statement over k variables mod m, by kind: (text, source of each variable, added constant).

    Source k is a constant 0, so "a = 7" is source k plus 7; "b = a" is source 0 for b; "a = (a + 1) % m"
    adds 1 to a. The new value of variable v is ``(old[source[v]] + add[v]) % m``.
    """
    names, keep = string.ascii_lowercase[:k], list(range(k))
    out = []
    for v, c in itertools.product(range(k), range(m)):
        src, add = [k if u == v else u for u in keep], [c if u == v else 0 for u in keep]
        out.append(("assign", f"{names[v]} = {c};", src, add))
    for v, w in itertools.combinations(range(k), 2):
        src = [w if u == v else v if u == w else u for u in keep]
        out.append(("swap", f"{names[v]}, {names[w]} = {names[w]}, {names[v]};", src, [0] * k))
    for v, w in itertools.permutations(range(k), 2):
        out.append(("copy", f"{names[v]} = {names[w]};", [w if u == v else u for u in keep], [0] * k))
    for v in range(k):
        out.append(("increment", f"{names[v]} = ({names[v]} + 1) % {m};", keep, [1 if u == v else 0 for u in keep]))
    return names, out


class ProgramsTask(TextTask):
    """Track the value of one variable through swaps, copies, assignments and increments mod m."""

    name = "programs"

    def __init__(self, num_variables: int = 3, modulus: int = 10):
        if not 1 <= num_variables <= 26:
            raise StateTrackError(f"num_variables must be 1..26 (named a..z), got {num_variables}")
        if not 2 <= modulus <= 1000:
            raise StateTrackError(f"modulus must be 2..1000, got {modulus}")
        self.k, self.m, self.preamble = num_variables, modulus, 1 + num_variables
        self.names, stmts = statements(self.k, self.m)
        self.vocab = [f"?{v}" for v in self.names] + [text for _, text, _, _ in stmts]
        self.label_vocab = [str(c) for c in range(self.m)]
        kinds = np.array([KINDS.index(kind) for kind, _, _, _ in stmts])
        present = [i for i in range(len(KINDS)) if (kinds == i).any()]  # one variable: no swap, no copy
        self._offset = np.array([self.k + np.flatnonzero(kinds == i)[0] for i in present])
        self._count = np.array([(kinds == i).sum() for i in present])
        self._source = np.array([[0] * self.k] * self.k + [src for _, _, src, _ in stmts])  # rows per token id
        self._add = np.array([[0] * self.k] * self.k + [add for _, _, _, add in stmts])

    @property
    def params(self) -> dict:
        return {"num_variables": self.k, "modulus": self.m}

    def sample(self, rng: np.random.Generator, lengths: np.ndarray):
        lengths = np.asarray(lengths)
        n, width = len(lengths), int(lengths.max(initial=0))
        query = rng.integers(0, self.k, size=n)
        init = rng.integers(0, self.m, size=(n, self.k))
        kind = rng.integers(0, len(self._count), size=(n, width))
        ops = self._offset[kind] + (rng.random((n, width)) * self._count[kind]).astype(np.int64)
        values = np.concatenate([init, np.zeros((n, 1), dtype=init.dtype)], axis=1)  # (N, k + 1), last = constant 0
        labels = np.empty((n, width), dtype=np.int64)
        for t in range(width):  # vectorised over rows: one gather and one add per statement
            tok = ops[:, t]
            values[:, :self.k] = (np.take_along_axis(values, self._source[tok], axis=1) + self._add[tok]) % self.m
            labels[:, t] = values[np.arange(n), query]
        init_tokens = self.k + np.arange(self.k) * self.m + init  # "a = 3;" is token k + 0 * m + 3
        return self.batch(np.concatenate([query[:, None], init_tokens], axis=1), ops, labels, lengths)

    def text_layout(self, input_ids) -> TextLayout:
        return TextLayout("", [None] + [self.vocab[t] for t in input_ids[1:]],
                          f"assert {self.names[input_ids[0]]} ==", separator=";")

    def one_line(self) -> str:
        return f"{self.name:<12} text: straight-line Python over {self.k} variables mod {self.m}, the value of one"

    def describe(self) -> str:
        return "\n".join([
            f"{self.name}: straight-line Python programs over {self.k} variables ({', '.join(self.names)}), "
            f"values mod {self.m}",
            f"family: {self.family}; vocab: {self.k} query tokens, then {len(self.vocab) - self.k} statements "
            f"(assign, swap, copy, increment mod {self.m})",
            f"a row: the queried variable, {self.k} initial assignments, then `length` statements, each of a kind "
            f"drawn uniformly from {', '.join(KINDS[:len(self._count)])}, then uniformly within the kind",
            f"labels: the queried variable's value after each statement ({self.m} classes); -100 on the preamble",
            "the text is Python: with its answers filled in it runs without an AssertionError",
            f"example (length 4): {self.example()}",
        ])


register_task("programs", ProgramsTask)

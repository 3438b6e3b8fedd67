"""Permutations in words: cups in a row are swapped (or permuted), and the ball under one moves with its cup.

``cups_S5`` (any ``cups_S<n>``, 2 <= n <= 7) is the S_n word problem written as a story. Its operations
are S_n elements drawn exactly as the word problem draws them (`WordProblemTask.sample` with the same
generator), so on the same rng the states are the word problem's states::

    S5 word problem : 21345   15342     (states 21345, 51342)
    cups_S5         : There are 5 cups in a row with a ball under cup 1 (cups are numbered by place,
                      from the left). Swap cups 1 and 2. Swap cups 2 and 5. Where is the ball? cup 5

Cup places are numbered from the left and an operation moves the cup at place x to place g(x) (one-line
notation, 1-based): "Swap cups 1 and 2" is the element 21345. The ball starts under cup s and is under
cup ``state(s)`` after the operations (a·b = apply a, then b, as in `groups`).

``answer="ball"`` (default) asks where the ball is: n classes, the start place is the row's first token.
``answer="arrangement"`` starts from cups labelled A, B, C, ... and asks for their order: n! classes,
and the labels *are* the word problem's labels (class j = group element j, written as the order it makes).
"""

from __future__ import annotations

import re
import string

import numpy as np

from ...core.errors import StateTrackError
from ..group_specs import symmetric
from ..registry import TASKS, task_factory
from ..word_problem import WordProblemTask
from .base import TextLayout, TextTask

ANSWERS = ("ball", "arrangement")
MAX_CUPS = 7  # S_7 is the largest group whose Cayley table we build


def permutation_phrase(perm: np.ndarray) -> str:
    """One operation in words, from a 0-based image array (the cup at place x goes to place perm[x]).

    >>> permutation_phrase(np.array([1, 0, 2]))
    'Swap cups 1 and 2.'
    >>> permutation_phrase(np.array([1, 2, 0]))
    'Move cups 1, 2, 3 to places 2, 3, 1.'
    """
    moved = np.flatnonzero(perm != np.arange(len(perm)))
    if len(moved) == 0:
        return "Leave the cups as they are."
    if len(moved) == 2:
        return f"Swap cups {moved[0] + 1} and {moved[1] + 1}."
    return (f"Move cups {', '.join(str(x + 1) for x in moved)} to places "
            f"{', '.join(str(perm[x] + 1) for x in moved)}.")


class CupsTask(TextTask):
    """Track a ball under shuffled cups (or the whole order of the cups); the states are S_n's."""

    def __init__(self, n: int, answer: str = "ball", generators="transpositions"):
        if not 2 <= n <= MAX_CUPS:
            raise StateTrackError(f"cups_S{n}: the number of cups must be 2..{MAX_CUPS}, got {n}")
        if answer not in ANSWERS:
            raise StateTrackError(f"answer must be one of {', '.join(ANSWERS)}, got {answer!r}")
        self.n, self.answer, self.name = n, answer, f"cups_S{n}"
        self.word = WordProblemTask(symmetric(n), generators=generators)
        perms = self.word.group.permutations  # (order, n): perms[g, x] = place of the cup that started at x
        self.phrases = [permutation_phrase(p) for p in perms]
        self.vocab = list(self.word.vocab)
        if answer == "ball":
            self.preamble = 1
            self.vocab += [f"ball@{x + 1}" for x in range(n)]
            self.label_vocab = [f"cup {x + 1}" for x in range(n)]
        else:
            letters = string.ascii_uppercase[:n]
            self.label_vocab = [" ".join(letters[x] for x in np.argsort(p)) for p in perms]  # letter at each place
        self._perms = perms

    @property
    def params(self) -> dict:
        return {"answer": self.answer, "generators": self.word.params["generators"]}

    def sample(self, rng: np.random.Generator, lengths: np.ndarray):
        """The S_n word problem's draws (same rng calls first), then the ball's start places."""
        words = self.word.sample(rng, lengths)
        if self.answer == "arrangement":
            return self.batch(np.empty((len(words), 0), dtype=np.int64), words.input_ids, words.labels, lengths)
        starts = rng.integers(0, self.n, size=len(words))
        ball = self._perms[words.labels, starts[:, None]]  # (N, T): where the starting place has moved
        return self.batch(self.word.group.order + starts, words.input_ids, ball, lengths)

    def text_layout(self, input_ids) -> TextLayout:
        if self.answer == "ball":
            start = input_ids[0] - self.word.group.order + 1
            prefix = (f"There are {self.n} cups in a row with a ball under cup {start} "
                      f"(cups are numbered by place, from the left).")
            question = "Where is the ball?"
        else:
            prefix = (f"There are {self.n} cups in a row, labelled {', '.join(string.ascii_uppercase[:self.n])} "
                      f"from the left (cups are numbered by place).")
            question = "What is the order of the cups?"
        return TextLayout(prefix, [None] * self.preamble + [self.phrases[t] for t in input_ids[self.preamble:]],
                          question)

    def one_line(self) -> str:
        return f"{self.name:<12} text: cups swapped in words, where is the ball (S{self.n} word problem)"

    def describe(self) -> str:
        what = ("where the ball is: " if self.answer == "ball" else "the order of the cups: ")
        return "\n".join([
            f"{self.name}: the S{self.n} word problem as a story of {self.n} cups (answer={self.answer})",
            f"family: {self.family}; operations: {len(self.word.generators)} S{self.n} elements "
            f"({self.word.generator_spec or 'all'}), written as sentences; token i = element i of S{self.n}"
            + (f", then {self.n} start tokens ball@1..ball@{self.n} (the row's first token)" if self.preamble else ""),
            f"labels: after each operation, {what}{len(self.label_vocab)} classes, e.g. {self.label_vocab[-1]!r}",
            "length: the number of operations; labels equal the S_n word problem's on the same draws",
            f"example (length 4): {self.example()}",
        ])


for _n in (3, 4, 5):
    TASKS.register(f"cups_S{_n}", task_factory(f"cups_S{_n}", CupsTask, n=_n))
TASKS.add_resolver(lambda name: task_factory(name, CupsTask, n=int(m.group(1)))
                   if (m := re.fullmatch(r"cups_S(\d+)", name)) else None)

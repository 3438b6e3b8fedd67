"""The non-regular languages of Bhattamishra et al. 2020 / Sarrof et al. 2024, and bounded Dyck (Yao et al. 2021).

Every row is a string of the language; the label at position t is the set of symbols that may follow
x_1..x_t, plus ``$`` when x_1..x_t is itself in the language (see `base`)::

    dyck1     input : (    (    )    )    (    )
              label : ()   ()   ()   ($   ()   ($
    anbncn    input : a    a    b    b    c    c
              label : ab   ab   b    c    c    $

Strings are drawn uniformly among those of the requested length, exactly, wherever the language has
more than one (counting.py); a^n b^n .. have one string per valid length.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ...core.errors import StateTrackError
from ..base import IGNORE, Batch
from ..registry import register_task
from .base import END, FormalLanguageTask, continuation_label, label_order
from .counting import (
    catalan,
    move_cdf,
    open_masks,
    sample_dyck_k,
    sample_shuffle,
    sample_walks,
    shuffle_count,
    type_depths,
    typed_brackets,
    walk_counts,
)
from .framing import apply_framing

PAPERS = "Bhattamishra et al. 2020; Sarrof et al. 2024"
BRACKET_PAIRS = ("()", "[]", "{}", "<>", "+-", "ab", "xo")  # Bhattamishra et al.'s pairs, in their order
OPERATORS = ("~", "+", ">", "*", "^")  # arity 1..5; Boolean-3 uses ~ + > as Bhattamishra et al. do
LETTERS = "abcdefghijklmnopqrstuvwxyz"


class ContinuationTask(FormalLanguageTask):
    """Shared sampling frame, length checks and self-description; subclasses implement `_sample_sorted`.

    `_sample_sorted(rng, lengths)` receives lengths sorted in decreasing order and returns time-major
    (T, N) tokens, labels and extras, padded with 0 / IGNORE; `sample` puts the rows back in order.
    """

    # strings exist exactly at the positive multiples of length_step; min_length stays 1 so that the papers'
    # bin [1, 50] is a valid request (length_support drops the lengths without strings)
    length_step: ClassVar[int] = 1
    star_free: ClassVar[bool] = False
    summary: ClassVar[str]  # what the language is, one line
    sampling: ClassVar[str]  # the distribution over strings of one length
    source: ClassVar[str] = PAPERS
    example_length: ClassVar[int] = 8

    @property
    def params(self) -> dict:
        return self.framing_params

    def properties(self) -> dict:
        return {"regular": self.level == "regular", "context_free": self.level != "cs", "star_free": self.star_free}

    def length_support(self, lo: int, hi: int) -> np.ndarray:
        lengths = np.arange(max(lo, self.length_step), hi + 1)
        return lengths[lengths % self.length_step == 0]

    def _count(self, length: int) -> int:
        raise NotImplementedError

    def num_strings(self, length: int) -> int:
        return self._count(length) if length >= 1 and length % self.length_step == 0 else 0

    def _sample(self, rng: np.random.Generator, lengths: np.ndarray) -> Batch:
        lengths = np.asarray(lengths, dtype=np.int64)
        bad = lengths[(lengths < 1) | (lengths % self.length_step != 0)]
        if len(bad):
            raise StateTrackError(f"task {self.name} has no strings of length {bad[0]}: lengths must be multiples of "
                                  f"{self.length_step} and >= 1 (see length_support)")
        order = np.argsort(-lengths, kind="stable")
        tokens, labels, extras = self._sample_sorted(rng, lengths[order])
        back = np.argsort(order)  # (T, N) columns in sorted order -> rows in the caller's order
        return Batch(tokens[:, back].T, labels[:, back].T, lengths, lengths,
                     {name: values[:, back].T for name, values in extras.items()})

    def _sample_sorted(self, rng: np.random.Generator, lengths: np.ndarray):
        raise NotImplementedError

    def one_line(self) -> str:
        return f"{self.name:<14} {self.level}: {self.summary}"

    def describe(self) -> str:
        n = self.example_length
        batch = self.sample(np.random.default_rng(0), np.array([n]))
        ids, labels, _ = next(batch.rows())
        extra = {name: values[0, :n].tolist() for name, values in batch.extras.items()}
        width = max(5, *map(len, self.label_vocab))
        label_sets = (" ".join(self.label_vocab) if len(self.label_vocab) <= 16
                      else f"{len(self.label_vocab)}, from {self.label_vocab[0]} to {self.label_vocab[-1]}")
        every = "every length" if self.length_step == 1 else f"multiples of {self.length_step}"
        lines = [
            f"{self.name}: {self.summary} ({self.level}; {self.source})",
            f"family: {self.family}; vocab: {' '.join(self.vocab)}; label sets: {label_sets}",
            self._labels_line(f"labels: at position t the symbols that may follow x_1..x_t, plus {END} when x_1..x_t "
                              "is in the language"),
            *self._notes(),
            f"sampling: {self.sampling}",
            f"lengths: {every} from {self.length_step}; protocol: train "
            f"{self.protocol['train_length']}, test {self.protocol['test_length']}; "
            f"{self.num_strings(n)} string(s) of length {n}",
            f"example (length {n}):",
            "  t   x_t  " + "label".ljust(width) + "".join(f"  {name}" for name in extra),
        ]
        for t, (x, y) in enumerate(zip(ids, labels)):
            cols = "".join(f"  {self._extra_text(values[t])}" for values in extra.values())
            lines.append(f"  {t + 1:<3} {self.vocab[x]:<4} {self.label_vocab[y]:<{width}}{cols}")
        return "\n".join(line.rstrip() for line in lines)

    def _notes(self) -> list[str]:
        return []

    def _extra_text(self, value: int) -> str:
        return "-" if value == IGNORE else self.vocab[value]


def _pad(values_tn: np.ndarray, lengths: np.ndarray, fill: int = IGNORE) -> np.ndarray:
    """values where t < the row's length, `fill` beyond (time-major)."""
    return np.where(np.arange(len(values_tn))[:, None] < lengths[None, :], values_tn, fill).astype(np.int16)


class ShuffleTask(ContinuationTask):
    """Shuffle-k: strings over k bracket pairs in which every bracket type, read on its own, is Dyck-1.

    Rows: uniform over the strings of each (even) length, exactly (`counting.sample_shuffle`); with ``nested=True``
    uniform over the properly nested ones only (Dyck-k words, `counting.sample_dyck_k`), as Sarrof et al.'s
    published data. Example (Shuffle-2)::

        input : (    [    )    ]
        label : ()[  ()[] ([]  ([$        # "]" may come only while a "[" is open; "$" once all are closed
    """

    level = "cs"  # Shuffle-2 ∩ (*[*)*]* = (^n [^m )^n ]^m, not context-free
    length_step = 2
    optional_params = ("nested", "label_framing")

    def __init__(self, pairs: int, nested: bool = False, label_framing: str = "continuation"):
        if not isinstance(nested, (bool, np.bool_)):
            raise StateTrackError(f"shuffle{pairs}: nested must be True or False, got {nested!r}")
        self.pairs, self.nested = pairs, bool(nested)
        self.name = "dyck1" if pairs == 1 else f"shuffle{pairs}"
        self.vocab = [c for pair in BRACKET_PAIRS[:pairs] for c in pair]  # open_i = 2i, close_i = 2i + 1
        opens = self.vocab[0::2]
        labels = [continuation_label(opens + [self.vocab[2 * i + 1] for i in range(pairs) if mask >> i & 1], mask == 0)
                  for mask in range(2**pairs)]
        self.label_vocab = label_order(labels)
        self._label_of_mask = np.array([self.label_vocab.index(label) for label in labels], dtype=np.int16)
        apply_framing(self, label_framing, "close", "".join(self.vocab[1::2]))

    @property
    def params(self) -> dict:
        return {**({"nested": True} if self.nested else {}), **self.framing_params}

    @property
    def summary(self) -> str:
        return (f"Shuffle-{self.pairs}, interleavings of Dyck-1 over {' '.join(BRACKET_PAIRS[:self.pairs])}: "
                "each bracket type balanced on its own" + (" (nested=True: only properly nested strings)"
                                                           if self.nested else ""))

    @property
    def sampling(self) -> str:
        return self._NESTED_SAMPLING if self.nested else self._SAMPLING

    _NESTED_SAMPLING = ("nested=True: uniform over the properly nested strings (Dyck-k words, k bracket types) of the "
                        "given length, exactly: a uniform Dyck-1 shape (counting the walks) and a uniform type for "
                        "each bracket pair, since every shape with m pairs has k^m typings. Sarrof et al.'s published "
                        "Shuffle data is nested only (its grammar S -> (_i S )_i | SS | ε never interleaves)")
    _SAMPLING = ("uniform over the strings of the given length, exactly: the pairs per type drawn with probability "
                "∝ multinomial × ∏ Catalan, a uniform interleaving of the types and a uniform Dyck-1 word per type. "
                "(Bhattamishra et al. drew from the grammar S -> (_i S )_i | SS | ε, which gives only well-nested "
                "strings, a subset of Shuffle-k.)")

    def _count(self, length: int) -> int:
        if self.nested:
            return catalan(length // 2) * self.pairs ** (length // 2)
        return shuffle_count(self.pairs, length)

    def _sample_sorted(self, rng, lengths):
        if self.nested:
            tokens = sample_dyck_k(rng, lengths, self.pairs)
            masks = open_masks(tokens, self.pairs)
        else:
            tokens, masks = sample_shuffle(rng, lengths, self.pairs)
        return tokens, _pad(self._label_of_mask[masks], lengths), {}

    def _string_labels(self, ids):
        depths = type_depths(ids[:, None], self.pairs)  # (T, 1, pairs)
        if (depths < 0).any():
            raise StateTrackError(f"{self.name}: a bracket closes at position {np.argmax((depths < 0).any(-1)) + 1} "
                                  "with none of its type open")
        return self._label_of_mask[open_masks(ids[:, None], self.pairs)[:, 0]]


class Dyck1Task(ShuffleTask):
    """Dyck-1: balanced strings of ( and ); Shuffle-1, sampled by the same code (uniform per length, exact).

    Example::

        input : (    (    )    )
        label : ()   ()   ()   ($
    """

    level = "dcf"
    optional_params = ("label_framing",)
    summary = "Dyck-1, balanced strings over ( )"
    sampling = ("uniform over the balanced strings of the given (even) length, exactly, by counting the walks "
                "(position, depth); Bhattamishra et al. drew from a PCFG instead")

    def __init__(self, label_framing: str = "continuation"):
        super().__init__(pairs=1, label_framing=label_framing)


class BooleanTask(ContinuationTask):
    """Boolean-n: well-formed Boolean expressions in prefix (Polish) notation, values 0 1, operators of arity 1..n.

    Operators ~ + > * ^ have arity 1, 2, 3, 4, 5. A prefix can always be continued by any symbol until the
    expression closes, so the label is every symbol, then ``$`` at the last position: the task is to
    predict where the expression ends (Bhattamishra et al. score the same thing: 0s, then 1 at the end).
    Rows: uniform over the expressions of each length, exactly (walks of the number of operands owed)::

        input : +      ~      1      0
        label : +01~   +01~   +01~   $        (Boolean-2 alphabet for brevity)
    """

    level = "dcf"

    def __init__(self, arity: int, label_framing: str = "continuation"):
        self.arity = arity
        self.name = f"boolean{arity}"
        self.vocab = ["0", "1", *OPERATORS[:arity]]
        # the number of operands still owed: a value pays one, an operator of arity a pays one and owes a
        self.deltas = (-1, -1, *range(arity))
        self.label_vocab = label_order([continuation_label(self.vocab, False), END])
        self._open_id, self._end_id = (self.label_vocab.index(continuation_label(self.vocab, False)),
                                       self.label_vocab.index(END))
        apply_framing(self, label_framing, "membership", "")

    @property
    def summary(self) -> str:
        ops = ", ".join(f"{op} ({a})" for a, op in enumerate(OPERATORS[:self.arity], start=1))
        return f"Boolean-{self.arity}, prefix-notation expressions over 0 1 with operators {ops}"

    sampling = ("uniform over the expressions of the given length, exactly, by counting the walks (position, "
                "operands owed). Bhattamishra et al. drew symbol by symbol (a value with probability 1-p = 0.5, "
                "else an operator of uniform arity), which weights strings by their operator count")
    example_length = 7

    def _count(self, length: int) -> int:
        return walk_counts(self.deltas, length, length, floor=1, end=0, exact=True)[length, 1]

    def _sample_sorted(self, rng, lengths):
        width = int(lengths[0]) if len(lengths) else 0
        cdf = move_cdf(walk_counts(self.deltas, width, width, floor=1, end=0), self.deltas, floor=1)
        tokens, owed = sample_walks(rng, cdf, self.deltas, lengths, start=1)
        return tokens, _pad(np.where(owed > 0, self._open_id, self._end_id), lengths), {}

    def _string_labels(self, ids):
        owed = 1 + np.cumsum(np.asarray(self.deltas)[ids])
        if (owed[:-1] <= 0).any() or owed[-1] != 0:
            raise StateTrackError(f"{self.name}: the string is not one well-formed expression")
        return np.where(owed > 0, self._open_id, self._end_id)


class CountingTask(ContinuationTask):
    """a^n b^n .., n >= 1: one string per valid length, so `sample` is deterministic.

    Example (a^n b^n c^n, n = 2)::

        input : a    a    b    b    c    c
        label : ab   ab   b    c    c    $
    """

    level = "cs"
    letters: ClassVar[str]
    sampling = "the one string of the given length (deterministic); lengths are multiples of the number of letters"

    def __init__(self, label_framing: str = "continuation"):
        self.name = "".join(f"{c}n" for c in self.letters)
        self.vocab = list(self.letters)
        self.label_vocab = label_order(["ab", *self.letters[1:], END])
        apply_framing(self, label_framing, "letter_first", self.letters)

    @property
    def summary(self) -> str:
        return f"{' '.join(f'{c}^n' for c in self.letters)} (n >= 1), one string per length"

    def _count(self, length: int) -> int:
        return 1

    def _notes(self) -> list[str]:
        return ["note: one string per length, so all rows of a length are that string; keep train and test lengths "
                "apart (test rows equal to a train row are dropped)"]

    def _string(self, n: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Tokens and labels of the string with n of each letter, padded to `width`."""
        tokens, labels = np.zeros(width, dtype=np.int16), np.full(width, IGNORE, dtype=np.int16)
        tokens[:len(self.letters) * n] = np.repeat(np.arange(len(self.letters)), n)
        after = ["ab"] * n  # after a^i: another a, or the first b
        for letter, following in zip(self.letters[1:], [*self.letters[2:], END]):
            after += [letter] * (n - 1) + [following]  # inside a block: the same letter; after it: the next
        labels[:len(after)] = [self.continuation_vocab.index(x) for x in after]
        return tokens, labels

    def _sample_sorted(self, rng, lengths):
        width = int(lengths.max(initial=0))
        distinct, which = np.unique(lengths, return_inverse=True)
        tokens, labels = zip(*(self._string(int(length) // len(self.letters), width) for length in distinct))
        return np.stack(tokens, axis=1)[:, which], np.stack(labels, axis=1)[:, which], {}

    def _string_labels(self, ids):
        tokens, labels = self._string(len(ids) // len(self.letters), len(ids))
        if len(ids) % len(self.letters) or (tokens != ids).any():
            raise StateTrackError(f"{self.name}: the string is not {' '.join(f'{c}^n' for c in self.letters)}")
        return labels.astype(np.int64)


class AnBnTask(CountingTask):
    __doc__ = CountingTask.__doc__
    letters, level, length_step, example_length = "ab", "dcf", 2, 6


class AnBnCnTask(CountingTask):
    __doc__ = CountingTask.__doc__
    letters, length_step, example_length = "abc", 3, 6


class AnBnCnDnTask(CountingTask):
    __doc__ = CountingTask.__doc__
    letters, length_step = "abcd", 4


def _check_count(value, what: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo or (hi and value > hi):
        span = f"in [{lo}, {hi}]" if hi else f">= {lo}"
        raise StateTrackError(f"bounded_dyck: {what} must be a whole number {span}, got {value!r}")
    return int(value)


class BoundedDyckTask(ContinuationTask):
    """Dyck-(k, m) (Yao et al. 2021): k bracket types nested at most m deep; regular (and star-free).

    Type i opens with the i-th lowercase letter and closes with the same letter in upper case. The extra
    column ``closing_target`` serves Yao et al.'s criterion (at every position whose next symbol is a closing
    bracket, the model must put > 0.8 of its probability over closing brackets on the right one): there it
    holds the token id of that closing bracket, elsewhere -100. Rows: uniform over the strings of each (even)
    length, exactly (walks of the depth, an opening step counted k times). Example (k = 3, m = 3)::

        input          : a     b     B     c     C     A
        label          : Aabc  Babc  Aabc  Cabc  Aabc  abc$
        closing_target : -     B     -     C     A     -
    """

    level = "regular"
    optional_params = ()
    star_free = True  # a word pops one fixed sequence and pushes another: its powers fail or repeat (aperiodic)
    length_step = 2
    extra_columns = ("closing_target",)
    source = "Yao et al. 2021; Sarrof et al. 2024"
    sampling = ("uniform over the Dyck-(k, m) strings of the given (even) length, exactly, by counting the walks "
                "(position, depth) with an opening step weighted by k (its bracket types) and a closing step by 1 "
                "(the bracket on top must close)")

    def __init__(self, k: int = 8, m: int = 10):
        self.k = _check_count(k, "k (number of bracket types)", 1, len(LETTERS))
        self.m = _check_count(m, "m (maximum depth)", 1)
        self.name = "bounded_dyck"
        self.vocab = [c for i in range(self.k) for c in (LETTERS[i], LETTERS[i].upper())]  # open_i 2i, close_i 2i+1
        self.deltas = (1,) * self.k + (-1,)
        opens, closes = self.vocab[0::2], self.vocab[1::2]
        # label by (0 empty / 1 inside / 2 full, type on top): row 1 cannot occur when m = 1
        table = [[continuation_label(opens, True)] * self.k, [continuation_label([*opens, c], False) for c in closes],
                 [continuation_label([c], False) for c in closes]]
        self.label_vocab = label_order(table[0] + table[2] + (table[1] if self.m > 1 else []))
        self._label_table = np.array([[self.label_vocab.index(x) if x in self.label_vocab else 0 for x in row]
                                      for row in table], dtype=np.int16)

    @property
    def params(self) -> dict:
        return {"k": self.k, "m": self.m}

    @property
    def summary(self) -> str:
        return f"Dyck-({self.k}, {self.m}), {self.k} bracket types nested at most {self.m} deep"

    def _notes(self) -> list[str]:
        return ["closing_target: where the next symbol is a closing bracket, its token id (the bracket the open one "
                "on top requires), else -100; Yao et al. score such a position right when > 0.8 of the model's "
                "probability over closing brackets is on it"]

    def _count(self, length: int) -> int:
        return walk_counts(self.deltas, length, self.m, exact=True)[length, 0]

    def _sample_sorted(self, rng, lengths):
        width = int(lengths[0]) if len(lengths) else 0
        cdf = move_cdf(walk_counts(self.deltas, width, self.m), self.deltas)
        moves, depths = sample_walks(rng, cdf, self.deltas, lengths, start=0)
        tokens, tops = typed_brackets(moves, depths, lengths, self.k, self.m)
        category = (depths > 0).astype(np.int64) + (depths == self.m)
        labels = _pad(self._label_table[category, tops], lengths)
        following = np.zeros_like(tokens)  # the next token; 0 (an opening bracket) past the end
        following[:-1] = tokens[1:]
        return tokens, labels, {"closing_target": np.where(following % 2 == 1, following, IGNORE).astype(np.int16)}


register_task("dyck1", Dyck1Task)
for _pairs in (2, 4, 6):
    register_task(f"shuffle{_pairs}", ShuffleTask, pairs=_pairs)
for _arity in (3, 5):
    register_task(f"boolean{_arity}", BooleanTask, arity=_arity)
register_task("anbn", AnBnTask)
register_task("anbncn", AnBnCnTask)
register_task("anbncndn", AnBnCnDnTask)
register_task("bounded_dyck", BoundedDyckTask)

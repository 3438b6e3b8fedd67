"""The regular languages of Sarrof et al. 2024 (the benchmark of Bhattamishra et al. 2020), each built as a DFA.

A row is a string of the language drawn uniformly from all its strings of the row's length (exact
path counting, see `automata`). The label at position t is the set of symbols that may follow
x_1..x_t, plus ``$`` when x_1..x_t is itself in the language (see `base`). Tomita 3, length 6::

    input_ids : 1     1     0     1     0     0
    labels    : 01$   01$   01$   01$   0     01$

At t = 5, "11010" ends in an odd 1-block followed by an odd 0-block: it is not in the language and
only another 0 can repair it.

`star_free` follows Sarrof et al.'s grouping (Mamba solves the star-free ones at every length);
the tests confirm it from each DFA's transition monoid (star-free <=> aperiodic, Schützenberger).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from ...core.errors import StateTrackError
from ..base import IGNORE, Batch
from ..registry import register_task
from .automata import DFA
from .base import FormalLanguageTask, continuation_label, label_order
from .framing import apply_framing, describe_framing, symbol_bits


@dataclass(frozen=True)
class Language:
    """A regular language given by a step function over hashable states (None = rejected for good)."""

    title: str
    definition: str
    star_free: bool
    alphabet: str
    start: Hashable
    step: Callable[[Hashable, str], Hashable | None]
    accept: Callable[[Hashable], bool]

    def dfa(self) -> DFA:
        return DFA.from_rules(self.alphabet, self.start, self.step, self.accept)


def cycle(word: str) -> dict:
    """States, step and acceptance of (word)*: the state is the position inside the current copy of word."""
    return dict(alphabet="".join(sorted(set(word))), start=0, accept=lambda p: p == 0,
                step=lambda p, c: (p + 1) % len(word) if c == word[p] else None)


# Sarrof et al.'s target for each language (see `framing`); "next" for the others
SARROF_KINDS = {"tomita5": "membership", "tomita6": "membership", "parity": "membership", "aa_star": "membership",
                "aaaa_star": "membership", "abab_star": "membership", "abcde_star": "letter", "zero_one_two": "end"}
# the states Sarrof et al.'s Tomita-3 automaton wrongly treats as dead (their q3 = our OO, repaired by one more 0)
PUBLISHED_DEAD = {"tomita3": ("OO",)}

# Tomita 3 as in Bhattamishra et al. and Sarrof et al.: E = no open odd 1-block (start, in 0s, or in an
# even 1-block), O = in an odd 1-block, OO = odd 1-block then odd 0-block, OE = odd 1-block then even
# 0-block. OO rejects, and a 1 after OO rejects for good. Note: Weiss et al. 2018 use a different
# "Tomita 3" that also forbids odd 0-blocks *later* after an odd 1-block (there OE --1--> stays flagged).
TOMITA3 = {("E", "0"): "E", ("E", "1"): "O", ("O", "0"): "OO", ("O", "1"): "E",
           ("OO", "0"): "OE", ("OE", "0"): "OO", ("OE", "1"): "O"}
ABD = {("ab", "a"): "ab", ("ab", "b"): "ab", ("ab", "d"): "bc", ("bc", "b"): "bc", ("bc", "c"): "bc"}


def tomita7_step(phase: int, c: str) -> int | None:
    """0*1*0*1*: `phase` counts finished blocks; block p holds 0s when p is even."""
    if c == "01"[phase % 2]:
        return phase
    return phase + 1 if phase < 3 else None


def blocks_step(last: int, c: str) -> int | None:
    """aa*bb*cc*dd*ee*: `last` is the index of the last letter (-1 at the start); repeat it or take the next."""
    i = "abcde".index(c)
    return i if i in (last, last + 1) else None


LANGUAGES = {
    "tomita1": Language("Tomita 1", "1*", True, "01", 0, lambda s, c: s if c == "1" else None, lambda s: True),
    "tomita2": Language("Tomita 2", "(10)*", True, **cycle("10")),
    "tomita3": Language("Tomita 3", "no odd block of 1s immediately followed by an odd block of 0s", False, "01",
                        "E", lambda s, c: TOMITA3.get((s, c)), lambda s: s != "OO"),
    "tomita4": Language("Tomita 4", "no 000", True, "01", 0,
                        lambda z, c: 0 if c == "1" else (z + 1 if z < 2 else None), lambda z: True),
    "tomita5": Language("Tomita 5", "an even number of 0s and an even number of 1s", False, "01", (0, 0),
                        lambda s, c: ((s[0] + (c == "0")) % 2, (s[1] + (c == "1")) % 2), lambda s: s == (0, 0)),
    "tomita6": Language("Tomita 6", "#0 - #1 divisible by 3", False, "01", 0,
                        lambda s, c: (s + (1 if c == "0" else -1)) % 3, lambda s: s == 0),
    "tomita7": Language("Tomita 7", "0*1*0*1*", True, "01", 0, tomita7_step, lambda s: True),
    "parity": Language("Parity", "an even number of 1s over {0, 1}", False, "01", 0,
                       lambda s, c: (s + (c == "1")) % 2, lambda s: s == 0),
    "aa_star": Language("(aa)*", "(aa)*", False, **cycle("aa")),
    "aaaa_star": Language("(aaaa)*", "(aaaa)*", False, **cycle("aaaa")),
    "abab_star": Language("(abab)*", "(abab)*", False, **cycle("abab")),
    "abcde_star": Language("aa*bb*cc*dd*ee*", "aa*bb*cc*dd*ee*", True, "abcde", -1, blocks_step, lambda s: s == 4),
    "abd_star": Language("{a,b}*d{b,c}*", "{a,b}*d{b,c}*", True, "abcd", "ab", lambda s, c: ABD.get((s, c)),
                         lambda s: s == "bc"),
    "zero_one_two": Language("{0,1,2}*02*", "{0,1,2}*02*: the last symbol other than 2 is 0", True, "012", False,
                             lambda s, c: s if c == "2" else c == "0", lambda s: s),
}


def dyck_depth(n: int) -> Language:
    """D_n = (a D_{n-1} b)*, D_0 = {empty}: a opens, b closes, depth never above n; the state is the depth."""
    return Language(f"D_{n}", f"(a D_{n - 1} b)*: balanced a/b nested at most {n} deep", True, "ab", 0,
                    lambda d, c: (d + 1 if d < n else None) if c == "a" else (d - 1 if d > 0 else None),
                    lambda d: d == 0)


def approx(count: int) -> str:
    """Exact below a million, else '~1.2e+15' (counts can exceed the float range)."""
    if count < 10**6:
        return str(count)
    digits = str(count)
    return f"~{digits[0]}.{digits[1]}e+{len(digits) - 1}"


class RegularLanguageTask(FormalLanguageTask):
    """A regular language of Sarrof et al. 2024: uniform strings of each length, continuation-set labels."""

    level = "regular"

    def __init__(self, language: str, label_framing: str = "continuation"):
        self._init_language(language, LANGUAGES[language], label_framing)

    def _init_language(self, name: str, language: Language, label_framing: str = "continuation") -> None:
        self.name, self.language, self.dfa = name, language, language.dfa()
        self.alphabet = tuple(language.alphabet)
        self.vocab = list(self.alphabet)
        dfa = self.dfa
        labels = {s: continuation_label([c for c, ok in zip(self.alphabet, dfa.allowed_next[s]) if ok],
                                        bool(dfa.accepting[s]))
                  for s in dfa.visited_states() if dfa.live[s]}  # labels that can occur at positions 1..n
        self.label_vocab = label_order(labels.values())
        self._state_label = np.full(dfa.num_states, IGNORE, dtype=np.int32)  # dead states never occur in a row
        for s, label in labels.items():
            self._state_label[s] = self.label_vocab.index(label)
        apply_framing(self, label_framing, SARROF_KINDS.get(name, "next"), language.alphabet)
        if self.label_framing == "sarrof_as_published":
            self._publish(list(labels), PUBLISHED_DEAD[name])

    def _publish(self, states: list[int], dead_names: tuple) -> None:
        """Label each state with the peer's next-symbol bits, computed with `dead_names` treated as dead too: no
        longer a function of our continuation set, so `projection` is dropped and the states label directly."""
        live = self.dfa.live & ~np.isin(np.arange(self.dfa.num_states), [self.dfa.names.index(n) for n in dead_names])
        bits = symbol_bits(self.alphabet)
        targets = {s: bits(continuation_label([c for c, nxt in zip(self.alphabet, self.dfa.table[s]) if live[nxt]],
                                              False)) for s in states}
        self.label_vocab = sorted(set(targets.values()))
        for s, target in targets.items():
            self._state_label[s] = self.label_vocab.index(target)
        self.projection = None
        self._framing_text = describe_framing("sarrof_as_published", "next", self.language.alphabet, self.label_vocab)

    @property
    def params(self) -> dict:
        return self.framing_params

    def properties(self) -> dict:
        return {"regular": True, "star_free": self.language.star_free}

    def length_support(self, lo: int, hi: int) -> np.ndarray:
        lengths = np.arange(max(lo, self.min_length), hi + 1)
        return lengths[[self.dfa.num_strings(int(n)) > 0 for n in lengths]]

    def num_strings(self, length: int) -> int:
        return self.dfa.num_strings(length)

    def _sample(self, rng: np.random.Generator, lengths: np.ndarray) -> Batch:
        """Each row: a string drawn uniformly from all strings of the language of that row's length."""
        lengths = np.asarray(lengths)
        symbols_tn, states_tn = self.dfa.sample(rng, lengths)
        labels_tn = self._state_label[states_tn]  # (T, N): the label is a function of the state
        if (lengths != len(labels_tn)).any():
            labels_tn[np.arange(len(labels_tn))[:, None] >= lengths] = IGNORE  # padding
        return Batch(symbols_tn.T, labels_tn.T, lengths, lengths)

    def _string_labels(self, ids: np.ndarray) -> np.ndarray:
        state, labels = 0, []
        for x in ids:
            state = self.dfa.table[state, x]
            if self._state_label[state] == IGNORE:
                raise StateTrackError(f"{self.name}: the string leaves the language at position {len(labels) + 1}")
            labels.append(self._state_label[state])
        return np.array(labels, dtype=np.int64)

    def one_line(self) -> str:
        kind = "star-free" if self.language.star_free else "not star-free"
        return f"{self.name:<13} regular, {kind}: {self.language.definition}"

    def describe(self) -> str:
        lang = self.language
        what = lang.title if lang.definition == lang.title else f"{lang.title}, {lang.definition}"
        near10, near50 = (int(self.length_support(lo, lo + 8)[0]) for lo in (10, 50))
        lines = [
            f"{self.name}: {what} (regular, {'' if lang.star_free else 'not '}star-free)",
            f"family: {self.family}; vocab: {' '.join(self.vocab)} (token i = vocab[i], no special tokens)",
            self._labels_line(f"labels: the symbols that may come next (x_1..x_t c can still be completed), plus $ if "
                              f"x_1..x_t is in the language; {len(self.label_vocab)} classes: "
                              f"{' '.join(self.label_vocab)}"),
            f"rows: a string drawn uniformly from all strings of the language of the row's length (exact, by "
            f"counting DFA paths); strings of length {near10}: {approx(self.num_strings(near10))}, of length "
            f"{near50}: {approx(self.num_strings(near50))}",
            *self._length_notes(),
        ]
        return "\n".join(lines + self._example())

    def _length_notes(self) -> list[str]:
        support = self.length_support(1, 60)
        notes = []
        steps = np.unique(np.diff(support))
        if len(support) < 60 and len(steps) == 1:
            first, step = int(support[0]), int(steps[0])
            notes.append(f"lengths: strings exist only for lengths {first}, {first + step}, {first + 2 * step}, ...; "
                         "others are never drawn")
        if max(self.num_strings(int(n)) for n in support) <= 1:
            notes.append("note: at most one string per length, so all rows of a length are the same string; keep "
                         "train and test lengths apart (test rows equal to a train row are dropped)")
        return notes

    def _example(self) -> list[str]:
        length = int(self.length_support(8, 64)[0])
        inputs, labels, _ = next(self.sample(np.random.default_rng(0), np.array([length])).rows())
        lines = [f"example (length {length}):", "  t   input  label"]
        rows = enumerate(zip(inputs, labels), start=1)
        lines += [f"  {t:<3} {self.vocab[x]:<6} {self.label_vocab[y]}" for t, (x, y) in rows]
        return lines


class DyckDepthTask(RegularLanguageTask):
    """D_n, Dyck-1 over a (open) and b (close) nested at most n deep; ``n`` is a parameter (default 2)."""

    def __init__(self, n: int = 2, label_framing: str = "continuation"):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise StateTrackError(f"n is the maximum depth of D_n and must be an int >= 1, got {n!r}")
        self.n = int(n)
        self._init_language("dn", dyck_depth(self.n), label_framing)

    @property
    def params(self) -> dict:
        return {"n": self.n, **self.framing_params}


class NamedDyckDepthTask(DyckDepthTask):
    """d2, d3, d4, d12: the depth is fixed by the name, so the task has no parameters."""

    def __init__(self, depth: int, label_framing: str = "continuation"):
        super().__init__(depth, label_framing)
        self.name = f"d{depth}"

    @property
    def params(self) -> dict:
        return self.framing_params


for _name in LANGUAGES:
    register_task(_name, RegularLanguageTask, language=_name)
for _depth in (2, 3, 4, 12):
    register_task(f"d{_depth}", NamedDyckDepthTask, depth=_depth)
register_task("dn", DyckDepthTask)

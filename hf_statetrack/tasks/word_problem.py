"""The word problem of a finite group: read g_1..g_n, output the running product.

    input_ids : g_1        g_2            g_3               (element ids, uniform over the generator set)
    labels    : g_1        g_1·g_2        g_1·g_2·g_3       (label_mode="all": token tagging, not shifted)
    labels    : -100       -100           g_1·g_2·g_3       (label_mode="final")

Token id i is group element i, and class id j is group element j, so ``vocab == label_vocab``.
Element 0 is the identity; see `groups` for the element order and the product convention.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import StateTrackError
from .base import IGNORE, Batch, Task
from .group_specs import looks_like_group_spec, parse_group
from .groups import FiniteGroup
from .registry import TASKS, task_factory

LABEL_MODES = ("all", "final")
NAMED_GENERATOR_SETS = (None, "non_identity", "transpositions")


def running_products(table: np.ndarray, inputs_tn: np.ndarray) -> np.ndarray:
    """States (T, N) for time-major inputs (T, N): ``state_t = table[state_{t-1}, g_t]``, state_0 = identity.

    The loop runs along time, vectorised over rows; time-major rows keep each step's reads contiguous.
    The table is pre-scaled (entry = product * order) so a step is one add and one gather.
    """
    order = len(table)
    scaled_dtype = np.uint16 if order * order <= np.iinfo(np.uint16).max else np.int64
    scaled = (table.astype(scaled_dtype) * order).ravel()  # scaled[s*order + g] = (s·g) * order
    states = np.empty(inputs_tn.shape, dtype=scaled_dtype)
    state = np.zeros(inputs_tn.shape[1], dtype=scaled_dtype)
    index = np.empty_like(state)
    for t in range(inputs_tn.shape[0]):
        np.add(state, inputs_tn[t], out=index)
        np.take(scaled, index, out=states[t])
        state = states[t]
    return (states // order).astype(table.dtype)


def running_products_reference(group: FiniteGroup, word: list[int]) -> list[int]:
    """Plain loop over one word, for tests and benchmarks."""
    state, out = 0, []
    for g in word:
        state = group.multiply(state, g)
        out.append(state)
    return out


class WordProblemTask(Task):
    """Group word problem: track the running product of uniformly drawn generators.

    Example (S3, one-line notation, "a·b" = apply a then b)::

        input : 213  132  213
        state : 213  312  321      # 213·132 = 312 (swap 1,2, then swap 2,3: 1->2->3), then ·213 = 321
    """

    family = "group_word_problems"
    text_answers = "final"  # in text, intermediate states would make each answer one product from the last

    def __init__(self, group: FiniteGroup, generators=None, label_mode: str = "all"):
        if label_mode not in LABEL_MODES:
            raise StateTrackError(f"label_mode must be one of {', '.join(LABEL_MODES)}, got {label_mode!r}")
        self.group = group
        self.name = group.name
        self.label_mode = label_mode
        self.generator_spec = generators
        self.generators = self._resolve_generators(generators)
        self.vocab = list(group.element_names)
        self.label_vocab = list(group.element_names)

    def _resolve_generators(self, spec) -> np.ndarray:
        g = self.group
        if spec is None or spec == "all":
            return np.arange(g.order)
        if spec == "non_identity":
            return np.arange(1, g.order)
        if spec == "transpositions":
            if g.permutations is None:
                raise StateTrackError(f"generators='transpositions' needs a permutation group; {g.name} is not one")
            moved = (g.permutations != np.arange(g.permutations.shape[1])).sum(axis=1)
            ids = np.flatnonzero(moved == 2)
            if len(ids) == 0:
                raise StateTrackError(f"{g.name} contains no transpositions; pick another generator set")
            return ids
        if not isinstance(spec, (str, list, tuple)):
            raise StateTrackError(f"generators must be 'all', 'non_identity', 'transpositions' or element names "
                                  f"(a comma-separated string or a list), got {spec!r:.40}")
        names = spec.split(",") if isinstance(spec, str) else list(spec)
        ids = np.unique([g.index(str(n).strip()) for n in names])
        if len(ids) == 0:
            raise StateTrackError("generators is empty; give element names, 'all', 'non_identity' or 'transpositions'")
        return ids

    @property
    def params(self) -> dict:
        gens = self.generator_spec
        if gens == "all":
            gens = None
        elif gens not in NAMED_GENERATOR_SETS:
            gens = [self.group.element_names[i] for i in self.generators]  # canonical: sorted element names
        return {"generators": gens, "label_mode": self.label_mode}

    def sample(self, rng: np.random.Generator, lengths: np.ndarray) -> Batch:
        """Draw every row at the longest length, then cut: a prefix of an i.i.d. word is an i.i.d. word."""
        lengths = np.asarray(lengths)
        n, width = len(lengths), int(lengths.max(initial=0))
        # uint16 draws: numpy's bounded sampler is several times faster for uint16 than for uint8
        draws = rng.integers(0, len(self.generators), size=(width, n), dtype=np.uint16)
        inputs_tn = draws if len(self.generators) == self.group.order else self.generators[draws].astype(np.uint16)
        states_tn = running_products(self.group.cayley_table, inputs_tn)
        labels = states_tn.T  # (N, T) views: the data layer copies once, into its own dtype and layout
        if self.label_mode == "final":
            rows = np.arange(n)
            labels = np.full((n, width), IGNORE, dtype=np.int32)
            labels[rows, lengths - 1] = states_tn[lengths - 1, rows]
        return Batch(inputs_tn.T, labels, lengths, lengths)

    def num_strings(self, length: int) -> int:
        """Every word over the generator set occurs: |generators| ** length (60**2 = 3,600 for A5)."""
        return len(self.generators) ** length

    def one_line(self) -> str:
        g = self.group
        kind = "abelian" if g.is_abelian else ("solvable" if g.is_solvable else "non-solvable")
        return f"{self.name:<8} word problem, order {g.order}, {kind}"

    def describe(self) -> str:
        g = self.group
        gen_text = (f"all {g.order} elements" if len(self.generators) == g.order
                    else f"{len(self.generators)} elements ({self.generator_spec}), generating a subgroup of order "
                         f"{len(g.subgroup_generated(self.generators))}")
        batch = self.sample(np.random.default_rng(0), np.array([5]))
        inputs, labels, _ = next(batch.rows())
        width = max(5, *(len(s) for s in g.element_names)) + 2
        lines = [
            f"{self.name}: word problem of {g.summary()}",
            f"family: {self.family}; vocab: {len(self.vocab)} tokens (token i = element i; element 0 = identity)",
            f"input: g_1..g_n drawn uniformly from {gen_text}",
            "labels: running product state_t = g_1·...·g_t (a·b = apply a, then b) "
            + ("at every position" if self.label_mode == "all" else "at the last position only (others -100)"),
            "example (length 5):",
            "  t  " + "input".ljust(width) + "state",
        ]
        for t, (x, y) in enumerate(zip(inputs, labels), start=1):
            lines.append(f"  {t}  {g.element_names[x].ljust(width)}{g.element_names[y] if y != IGNORE else '-100'}")
        return "\n".join(lines)


WORD_PROBLEM_GROUPS = ["S3", "S4", "S5", "A4", "A5", "Z2", "Z60", "A4_x_Z5", "D4", "Q8"]


class _SpecTask(WordProblemTask):
    """Signature holder so parameter checks list generators and label_mode."""

    def __init__(self, spec: str, generators=None, label_mode: str = "all"):
        super().__init__(parse_group(spec), generators=generators, label_mode=label_mode)


for _spec in WORD_PROBLEM_GROUPS:
    TASKS.register(_spec, task_factory(_spec, _SpecTask, spec=_spec))
TASKS.add_resolver(lambda name: task_factory(name, _SpecTask, spec=name) if looks_like_group_spec(name) else None)

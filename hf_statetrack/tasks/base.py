"""What every task provides: vocabularies, a vectorised sampler and a self-description.

A task is pure numpy and a pure function of (parameters, rng): it knows nothing of
datasets, torch or files. ``sample(rng, lengths)`` returns a padded `Batch`; the data
layer turns it into Arrow rows ``input_ids``, ``labels`` (-100 = not scored), ``length``.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from ..core.errors import StateTrackError

IGNORE = -100  # label of positions that are not scored (the ignore_index of torch losses)


@dataclass
class Batch:
    """Rows padded to a common width; row i holds ``seq_lens[i]`` real tokens.

    Arrays may be non-contiguous views (samplers work time-major); copy with `np.ascontiguousarray`
    before `torch.from_numpy`."""

    input_ids: np.ndarray  # (N, T) token ids
    labels: np.ndarray  # (N, T) class ids, IGNORE where not scored
    lengths: np.ndarray  # (N,) the task length of each row (the ``length`` column)
    seq_lens: np.ndarray  # (N,) number of tokens in each row
    extras: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (N, T) per-position ints

    def __len__(self) -> int:
        return len(self.lengths)

    def select(self, rows: np.ndarray) -> Batch:
        return Batch(self.input_ids[rows], self.labels[rows], self.lengths[rows], self.seq_lens[rows],
                     {name: values[rows] for name, values in self.extras.items()})

    def rows(self):
        """Yield (input_ids, labels, length) per row as Python lists, for inspection and tests."""
        for i in range(len(self)):
            n = self.seq_lens[i]
            yield self.input_ids[i, :n].tolist(), self.labels[i, :n].tolist(), int(self.lengths[i])


class Task:
    """Base class: subclasses set the class attributes and implement `sample`, `params` and `describe`.

    ``length`` always means the task's own length (e.g. the input length of a transduction task,
    whose rows also hold output positions); `length_support` says which lengths can be drawn.
    """

    family: ClassVar[str] = ""
    level: ClassVar[str | None] = None  # Chomsky level where meaningful: regular, dcf, cs
    min_length: ClassVar[int] = 1
    extra_columns: ClassVar[tuple[str, ...]] = ()  # per-position int columns `sample` puts in Batch.extras
    text_answers: ClassVar[str] = "all"  # which answers the text format writes by default: "all" or "final"
    protocol: ClassVar[dict] = {}  # the literature's lengths, e.g. {"train_length": (1, 40), "test_length": (41, 500)}

    name: str
    vocab: list[str]  # vocab[i] = the input symbol of token id i
    label_vocab: list[str]  # label_vocab[j] = what class id j means

    def sample(self, rng: np.random.Generator, lengths: np.ndarray) -> Batch:
        raise NotImplementedError

    @property
    def params(self) -> dict:
        """The task's own parameters with their resolved values (part of every cache key)."""
        raise NotImplementedError

    def length_support(self, lo: int, hi: int) -> np.ndarray:
        """The lengths in [lo, hi] for which rows exist (e.g. only even lengths for (aa)*)."""
        return np.arange(max(lo, self.min_length), hi + 1)

    def num_strings(self, length: int) -> int | None:
        """How many distinct inputs of this length exist, where known (error messages; the cap of distinct=True)."""
        return None

    def properties(self) -> dict:
        """Family-specific facts for `metadata`, e.g. {"star_free": False, "regular": True}."""
        return {}

    def metadata(self) -> dict:
        return {"name": self.name, "family": self.family, "level": self.level, "alphabet": list(self.vocab),
                "num_labels": len(self.label_vocab), **self.properties(), "params": self.params}

    def describe(self) -> str:
        raise NotImplementedError

    def one_line(self) -> str:
        """A short summary for ``statetrack tasks``."""
        return self.describe().splitlines()[0]

    def check_length(self, length: int, what: str) -> None:
        if length < self.min_length:
            raise StateTrackError(f"{what} must be at least {self.min_length} for task {self.name}, got {length}")


def check_task_params(task_cls: type, name: str, params: dict, fixed: Collection[str] = ()) -> None:
    """Unknown keyword -> one line listing the parameters the task does take (those not in `fixed`, the
    parameter names its registered name already sets)."""
    accepted = [name for name, p in inspect.signature(task_cls.__init__).parameters.items()
                if name != "self" and name not in fixed and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise StateTrackError(f"task {name} has no parameter {unknown[0]!r}; its parameters are: "
                              f"{', '.join(accepted) or '(none)'}")

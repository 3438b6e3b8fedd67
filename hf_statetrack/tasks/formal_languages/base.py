"""Formal languages with one uniform label framing: the set of allowed continuations.

At position t (after reading the prefix x_1..x_t) the label is the set of symbols c such that
x_1..x_t c is still a prefix of some string in the language, plus ``$`` when x_1..x_t itself is in
the language. The set is written as a sorted string of symbols with ``$`` last (``"ab"``, ``"a$"``,
``"$"``), and ``label_vocab`` lists the sets that can occur. This covers both framings of the
literature: next-symbol prediction (the k-hot set, Bhattamishra et al. 2020, Sarrof et al. 2024)
and membership (``$`` in the label at the last position). Every input is a string in the language.

``label_framing="sarrof"`` replaces each set by the coarser target Sarrof et al. 2024 train on (a membership
bit, next-symbol bits without ``$``, ...), a projection of it: see `framing`. `labels_of` labels one given
string, symbol by symbol: the reference the samplers are tested against.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from ...core.errors import StateTrackError
from ..base import IGNORE, Batch, Task

END = "$"  # "the prefix read so far is in the language"


def continuation_label(symbols, accepting: bool) -> str:
    """{"b", "a"}, True -> "ab$"."""
    return "".join(sorted(symbols)) + (END if accepting else "")


def label_order(labels) -> list[str]:
    """A stable order for label_vocab: by size, then alphabetically ("$" sorts last within a size)."""
    return sorted(set(labels), key=lambda s: (len(s), s.replace(END, "\x7f")))


class FormalLanguageTask(Task):
    """Base for the formal languages: inputs are strings of the language, labels continuation sets."""

    family: ClassVar[str] = "formal_languages"
    protocol: ClassVar[dict] = {"train_length": (1, 50), "test_length": (51, 100)}  # Sarrof et al. 2024 bins
    alphabet: tuple[str, ...]
    label_framing: str = "continuation"  # or "sarrof" / "sarrof_as_published" (see `framing`)
    optional_params: ClassVar[tuple[str, ...]] = ("label_framing",)  # in `params` only when not the default
    # continuation class id -> class id of label_framing; None: the labels `_sample` gives are already final
    projection: np.ndarray | None = None
    continuation_vocab: list[str]  # label_vocab of the continuation framing (= label_vocab when it is the framing)
    _framing_text: str = ""

    @property
    def framing_params(self) -> dict:
        """{"label_framing": ...} unless it is the default (so default cache keys stay as they were)."""
        return {} if self.label_framing == "continuation" else {"label_framing": self.label_framing}

    def _labels_line(self, continuation_line: str) -> str:
        return self._framing_text or continuation_line

    def project(self, labels: np.ndarray) -> np.ndarray:
        """Continuation class ids -> class ids of this task's framing (IGNORE kept); e.g. to score a model trained
        on continuation sets against the peer's coarser targets."""
        labels = np.asarray(labels)
        if self.projection is None:
            if self.label_framing != "continuation":
                raise StateTrackError(f"{self.name}: label_framing={self.label_framing!r} is not a projection of "
                                      "the continuation sets")
            return labels
        return np.where(labels == IGNORE, IGNORE, self.projection[np.where(labels == IGNORE, 0, labels)])

    def sample(self, rng: np.random.Generator, lengths: np.ndarray) -> Batch:
        batch = self._sample(rng, lengths)
        if self.projection is not None:
            batch.labels = self.project(batch.labels).astype(batch.labels.dtype)
        return batch

    def _sample(self, rng: np.random.Generator, lengths: np.ndarray) -> Batch:
        raise NotImplementedError

    def labels_of(self, text: str) -> list[str]:
        """The label at every position of one string of the language, as label_vocab writes it.

        >>> from hf_statetrack import get_task
        >>> get_task("tomita1", label_framing="sarrof").labels_of("111")
        ['01', '01', '01']
        """
        index = {symbol: i for i, symbol in enumerate(self.vocab)}
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise StateTrackError(f"{self.name}: symbol {unknown[0]!r} is not in the vocabulary {' '.join(self.vocab)}")
        ids = self._string_labels(np.array([index[c] for c in text], dtype=np.int64))
        ids = ids if self.projection is None else self.project(ids)
        return [self.label_vocab[i] for i in ids]

    def target_ids(self, line: str) -> list[int]:
        """A target line in Sarrof et al.'s file format (one chunk per position, e.g. a k-hot bit vector) -> class ids
        of this framing, for the metric; a chunk that is no label (a predicted bit pattern that never occurs) -> -1,
        which matches no reference.

        >>> from hf_statetrack import get_task
        >>> get_task("shuffle2", label_framing="sarrof").target_ids("10111000")  # classes 00 01 10 11
        [2, 3, 2, 0]
        """
        width = len(self.label_vocab[0])
        if self.label_framing == "continuation" or len(line) % width:
            raise StateTrackError(f"{self.name}: target_ids reads a line of {width}-character chunks in a Sarrof "
                                  f"framing (label_framing='sarrof'), got {len(line)} characters with "
                                  f"label_framing={self.label_framing!r}")
        index = {label: i for i, label in enumerate(self.label_vocab)}
        return [index.get(line[i:i + width], -1) for i in range(0, len(line), width)]

    def _string_labels(self, ids: np.ndarray) -> np.ndarray:
        """Labels of one given string (before `projection`), computed symbol by symbol: the reference `_sample`'s
        labels are tested against."""
        raise NotImplementedError

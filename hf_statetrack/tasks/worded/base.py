"""Tasks whose inputs are natural text: each token is one operation, written as a sentence.

The rows stay pure integer arrays like every other task (so generation, caching, sharding and the
test-vs-train deduplication work unchanged): a token id is one operation ("Swap cups 1 and 4."),
a label is the answer to the row's question after that operation (where the ball is now). Things
a row fixes before its operations (the question asked, the starting state) are its first
`preamble` tokens, labelled -100::

    input_ids : <ball under cup 2>  <swap 1 4>  <swap 2 5>       (preamble token, then `length` operations)
    labels    :  -100                cup 2       cup 5            (the state after each operation)

The text format asks the task for a `TextLayout` and writes the preamble, each operation's
sentence and, after every written answer, the question and the answer span (leading space
included, as for the symbolic tasks)::

    There are 5 cups in a row with a ball under cup 2 (cups are numbered by place, from the left).
    Swap cups 1 and 4. Swap cups 2 and 5. Where is the ball? cup 5

With ``answers="all"`` the question is asked after every operation, each answer but the last
followed by the layout's separator (``.``), so the row reads as one text.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import numpy as np

from ..base import IGNORE, Batch, Task


class TextLayout(NamedTuple):
    """How one row is written: ``prefix``, then ``pieces[i]`` for token i (None: nothing, e.g. the query
    token), and after each written answer ``question`` then the answer; ``separator`` ends every
    answer but the last."""

    prefix: str
    pieces: list[str | None]
    question: str
    separator: str = "."


def render_layout(layout: TextLayout, labels, label_vocab, answers: str) -> tuple:
    """A row's layout and labels -> (text, starts, ends, classes, first, state_ends, state_classes), the
    fields of `hf_statetrack.text.render.Rendered`.

    A state is fixed at the end of its operation's sentence (`state_ends`), before any question.

    >>> layout = TextLayout("Cups: 3.", [None, "Swap cups 1 and 2.", "Swap cups 2 and 3."], "Where is the ball?")
    >>> render_layout(layout, [-100, 1, 2], ["cup 1", "cup 2", "cup 3"], "final")[0]
    'Cups: 3. Swap cups 1 and 2. Swap cups 2 and 3. Where is the ball? cup 3'
    >>> render_layout(layout, [-100, 1, 2], ["cup 1", "cup 2", "cup 3"], "all")[0]
    'Cups: 3. Swap cups 1 and 2. Where is the ball? cup 2. Swap cups 2 and 3. Where is the ball? cup 3'
    """
    scored = [i for i, label in enumerate(labels) if label != IGNORE]
    written = set(scored[-1:] if answers == "final" else scored)
    last = scored[-1]
    text, starts, ends, state_ends = layout.prefix, [], [], []
    for i, (piece, label) in enumerate(zip(layout.pieces, labels)):
        if piece:
            text += (" " if text else "") + piece
        if label == IGNORE:
            continue
        state_ends.append(len(text))
        if i in written:
            text += " " + layout.question
            starts.append(len(text))
            text += " " + label_vocab[label]
            ends.append(len(text))
            if i != last:  # the last answer ends the text, so that a model's continuation is read from there
                text += layout.separator
    classes = [int(labels[i]) for i in scored]
    written_classes = [c for i, c in zip(scored, classes) if i in written]
    return text, starts, ends, written_classes, len(starts) - 1, state_ends, classes


class TextTask(Task):
    """Base of the natural-text families: `preamble` leading tokens, then one token per operation.

    Subclasses implement `sample` (preamble, operations and states, built with `batch`) and `text_layout`.
    ``length`` is the number of operations; a row holds ``preamble + length`` tokens.
    """

    family = "text"
    text_answers = "final"  # with every intermediate answer written, each is one step from the last
    preamble: ClassVar[int] = 0

    def text_layout(self, input_ids) -> TextLayout:
        raise NotImplementedError

    def render(self, input_ids, labels, answers: str = "final") -> str:
        """The row as text (the text format's ``text`` column)."""
        return render_layout(self.text_layout(input_ids), labels, self.label_vocab, answers)[0]

    def batch(self, preamble_ids: np.ndarray, ops: np.ndarray, states: np.ndarray, lengths: np.ndarray) -> Batch:
        """(N, P) preamble tokens, (N, T) operation tokens and states -> a Batch (preamble labels -100)."""
        n = len(lengths)
        input_ids = np.concatenate([preamble_ids.reshape(n, self.preamble), ops], axis=1)
        labels = np.concatenate([np.full((n, self.preamble), IGNORE), states], axis=1)
        return Batch(input_ids, labels, np.asarray(lengths), np.asarray(lengths) + self.preamble)

    def example(self, length: int = 4, seed: int = 0) -> str:
        """One rendered row, for `describe`."""
        batch = self.sample(np.random.default_rng(seed), np.array([length]))
        ids, labels, _ = next(batch.rows())
        return self.render(ids, labels)

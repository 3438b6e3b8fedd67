"""Tasks written as text for pretrained tokenizers, with the answer spans marked.

Every row becomes one line of text. Symbols are separated by spaces; a scored position gets
`` = <answer>``. Each answer *span* is the answer with its leading space (``" 52413"``), because
byte-level BPE and SentencePiece tokenizers glue a space to the token after it: a span that began
after the space would cut that token in two. Only tokens inside answer spans are scored.

Two layouts, chosen by the task:

* tagging (group word problems, formal languages, flip-flop): each input symbol, then its answer::

      S5, answers="final" (the default for word problems):  34152 52134 53214 = 52413
      S5, answers="all":            34152 = 34152 52134 = 13542 53214 = 52413
      dyck1 (answers="all"):        ( = () ( = () ) = () ) = ($
      flip_flop (answers="all"):    w 1 i 0 r = 1 1

* transduction (Chomsky-hierarchy tasks, whose outputs sit on ``<blank>`` positions): the input,
  then `` =`` and one answer span per output symbol::

      reverse_string:  0 1 1 = 1 1 0          binary_addition:  1 0 + 1 = 1 1 <end>

* natural text (``tasks/worded``: cups, programs, boxes, chess): the task's own `TextLayout`, a sentence per
  operation and a question before each written answer::

      cups_S5:  There are 5 cups in a row with a ball under cup 1 (...). Swap cups 1 and 2. Where is the ball? cup 2

Word problems default to ``answers="final"``: with every intermediate state written into the text,
each state is one group product away from the previous one and the task stops measuring state
tracking. Formal languages keep every continuation set, as in Sarrof et al. The *target* of a row is
its last answer (tagging) or its whole output (transduction); the text before it is the *prompt* that
in-context evaluation gives a model.
"""

from __future__ import annotations

from typing import NamedTuple

from ..core.errors import StateTrackError
from ..tasks import IGNORE
from ..tasks.chomsky.base import BLANK  # the input symbol of transduction output positions; not written in text
from ..tasks.worded.base import render_layout

ANSWER_MODES = ("final", "all")


def default_answers(task) -> str:
    """"final" for group word problems, "all" for the other families (see the module docstring)."""
    return task.text_answers


def check_answers(answers: str) -> str:
    if answers not in ANSWER_MODES:
        raise StateTrackError(f"answers must be one of {', '.join(ANSWER_MODES)}, got {answers!r}")
    return answers


def is_text_task(task) -> bool:
    """Natural-text tasks (`tasks/worded`) write their own sentences; their dataset rows also hold ``text`` and
    ``target``."""
    return hasattr(task, "text_layout")


class Rendered(NamedTuple):
    text: str
    starts: list[int]  # answer spans [start, end), leading space included
    ends: list[int]
    classes: list[int]  # class id of each written answer
    first: int  # index of the first answer of the target
    state_ends: list[int]  # per scored position, written or not: where the text that fixes its state ends
    state_classes: list[int]  # ... and that state's class id


def render_row(task, input_ids, labels, answers: str) -> Rendered:
    """One token row -> its text and spans.

    ``state_ends`` (for probes) covers every scored position even when its answer is not written: the
    end of its input symbol (tagging), or the start of its answer (transductions, whose outputs have no
    input symbol).

    >>> from hf_statetrack.tasks import get_task
    >>> t = get_task("Z2")
    >>> render_row(t, [1, 1, 0], [1, 0, 0], "all")[:5]
    ('1 = 1 1 = 0 0 = 0', [3, 9, 15], [5, 11, 17], [1, 0, 0], 2)
    >>> row = render_row(t, [1, 1, 0], [1, 0, 0], "final")
    >>> row.text, row.state_ends, row.state_classes
    ('1 1 0 = 0', [1, 3, 5], [1, 0, 0])
    """
    vocab, label_vocab = task.vocab, task.label_vocab
    scored = [i for i, label in enumerate(labels) if label != IGNORE]
    if not scored:
        raise StateTrackError(f"a row of task {task.name} has no scored position to write as an answer")
    if is_text_task(task):
        return Rendered(*render_layout(task.text_layout(input_ids), labels, label_vocab, answers))
    transduction = vocab[input_ids[scored[0]]] == BLANK
    written = set(scored[-1:] if answers == "final" and not transduction else scored)
    text, starts, ends, state_ends = "", [], [], []
    for i, (token, label) in enumerate(zip(input_ids, labels)):
        symbol = vocab[token]
        if symbol != BLANK:
            text += (" " if text else "") + symbol
        if label == IGNORE:
            continue
        if not transduction:  # a tagged state is fixed once its symbol is read
            state_ends.append(len(text))
        if i in written:
            if not transduction or i == scored[0]:
                text += " ="
            starts.append(len(text))
            text += " " + label_vocab[label]
            ends.append(len(text))
        if transduction:  # an output is fixed by everything before its answer
            state_ends.append(starts[-1])
    classes = [int(labels[i]) for i in scored]
    return Rendered(text, starts, ends, [c for i, c in zip(scored, classes) if i in written],
                    0 if transduction else len(starts) - 1, state_ends, classes)


def prompt_and_target(row: Rendered) -> tuple[str, str]:
    """A rendered row split before its target (what in-context evaluation shows / expects)."""
    return row.text[:row.starts[row.first]], row.text[row.starts[row.first]:row.ends[-1]].strip()


def natural_text_columns(task, batch) -> dict[str, list[str]]:
    """``text`` and ``target`` of every row of a `Batch` of a natural-text task (the builder's extra columns)."""
    rows = [render_row(task, ids, labels, default_answers(task)) for ids, labels, _ in batch.rows()]
    return {"text": [row.text for row in rows], "target": [prompt_and_target(row)[1] for row in rows]}


def text_columns(batch: dict, task, answers: str) -> dict:
    """`datasets.map(batched=True)` body: token rows -> text, prompt/target and answer spans."""
    out = {k: [] for k in ("text", "prompt", "target", "answer_starts", "answer_ends", "answer_labels",
                           "state_ends", "state_labels")}
    for input_ids, labels in zip(batch["input_ids"], batch["labels"]):
        row = render_row(task, input_ids, labels, answers)
        prompt, target = prompt_and_target(row)
        for key, value in (("text", row.text), ("prompt", prompt), ("target", target),
                           ("answer_starts", row.starts), ("answer_ends", row.ends), ("answer_labels", row.classes),
                           ("state_ends", row.state_ends), ("state_labels", row.state_classes)):
            out[key].append(value)
    return out


def text_view(dataset, task, answers: str | None = None, num_proc: int | None = None):
    """A token dataset (or DatasetDict) of `task` -> the same rows as text, keeping ``length``.

    Columns: ``text`` (the whole row), ``prompt`` + ``target`` (the row split before its target),
    ``answer_starts`` / ``answer_ends`` (character spans of the scored answers, leading space included)
    and ``answer_labels`` (the class id of each answer); for probes, ``state_ends`` and ``state_labels``:
    for every scored position, written or not, where the text that fixes its state ends, and that state.
    """
    answers = check_answers(answers or default_answers(task))
    columns = dataset.column_names
    drop = [c for c in (columns if isinstance(columns, list) else next(iter(columns.values()))) if c != "length"]
    return dataset.map(text_columns, batched=True, fn_kwargs={"task": task, "answers": answers},
                       remove_columns=drop, num_proc=num_proc, desc=f"writing {task.name} as text")

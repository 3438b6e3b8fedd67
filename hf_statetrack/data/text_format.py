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

* natural text (``tasks/text``: cups, programs, boxes, chess): the task's own `TextLayout`, a sentence per
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

import numpy as np

from ..errors import StateTrackError
from ..tasks import IGNORE
from ..tasks.chomsky.base import BLANK  # the input symbol of transduction output positions; not written in text
from ..tasks.text.base import render_layout

ANSWER_MODES = ("final", "all")


def default_answers(task) -> str:
    """"final" for group word problems, "all" for the other families (see the module docstring)."""
    return task.text_answers


def check_answers(answers: str) -> str:
    if answers not in ANSWER_MODES:
        raise StateTrackError(f"answers must be one of {', '.join(ANSWER_MODES)}, got {answers!r}")
    return answers


def is_text_task(task) -> bool:
    """Natural-text tasks (`tasks/text`) write their own sentences; their dataset rows also hold ``text`` and
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


def answer_token_labels(offsets, token_ids, starts, ends, unk_id, vocab_size: int, where: str) -> list[int]:
    """Per token: ``token_id + vocab_size * answer_index`` inside answer j, IGNORE elsewhere.

    One integer carries both the token to predict and the answer it belongs to, so Trainer's metrics can
    score whole answers (adjacent transduction answers have no unscored token between them). A token
    that crosses an answer boundary, or an answer the tokenizer maps to its unknown token, cannot be
    scored exactly and raises.
    """
    s, e = np.asarray(offsets, dtype=np.int64).reshape(-1, 2).T
    starts, ends, ids = np.asarray(starts), np.asarray(ends), np.asarray(token_ids, dtype=np.int64)
    j = np.searchsorted(ends, s, side="right")  # the first answer that ends after the token starts
    at = np.minimum(j, len(starts) - 1)
    overlaps = (e > s) & (j < len(starts)) & (e > starts[at])  # e <= s: special tokens such as BOS
    inside = overlaps & (s >= starts[at]) & (e <= ends[at])
    if (overlaps & ~inside).any():
        raise StateTrackError(f"the tokenizer cannot render this task: a token spans an answer boundary in "
                              f"{where!r}; use a tokenizer that splits on spaces (byte-level BPE, SentencePiece)")
    if unk_id is not None and (ids[inside] == unk_id).any():
        raise StateTrackError(f"the tokenizer cannot render this task: an answer in {where!r} becomes its unknown "
                              f"token; use a tokenizer whose vocabulary covers the task's symbols")
    if np.bincount(j[inside], minlength=len(starts)).min() == 0:
        raise StateTrackError(f"the tokenizer cannot render this task: an answer in {where!r} has no token of its own")
    return np.where(inside, ids + vocab_size * j, IGNORE).tolist()


def tokenize_text(batch: dict, tokenizer, keep_offsets: bool = False) -> dict:
    """`datasets.map(batched=True)` body: text rows -> ``input_ids`` and answer-tagged ``labels`` (and the
    tokens' character ``offset_mapping`` with `keep_offsets`)."""
    if not getattr(tokenizer, "is_fast", False):
        raise StateTrackError(f"{type(tokenizer).__name__} is not a fast tokenizer; text tasks need character "
                              f"offsets: save the checkpoint with a tokenizer.json (tokenizers library)")
    encoded = tokenizer(batch["text"], return_offsets_mapping=True)
    labels = [answer_token_labels(offsets, ids, starts, ends, tokenizer.unk_token_id, len(tokenizer), text)
              for offsets, ids, starts, ends, text in zip(encoded["offset_mapping"], encoded["input_ids"],
                                                           batch["answer_starts"], batch["answer_ends"], batch["text"])]
    offsets = {"offset_mapping": encoded["offset_mapping"]} if keep_offsets else {}
    return {"input_ids": encoded["input_ids"], "labels": labels, **offsets}


def split_labels(labels: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Answer-tagged labels -> (token ids, answer index), both IGNORE where not scored."""
    labels = np.asarray(labels)
    scored = labels != IGNORE
    return (np.where(scored, labels % vocab_size, IGNORE), np.where(scored, labels // vocab_size, IGNORE))


def answer_correctness(predictions: np.ndarray, labels: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Token predictions aligned with answer-tagged labels -> per-answer (predictions, labels) for `compute_metrics`.

    An answer is right when every one of its tokens is. Returns (N, A) arrays: labels 0 at each answer
    and IGNORE beyond a row's answers, predictions 0 where the answer is right and 1 where it is wrong.
    """
    tokens, answer = split_labels(labels, vocab_size)
    rows, cols = np.nonzero(answer != IGNORE)
    width = int(answer.max(initial=-1)) + 1
    wrong = np.zeros((len(labels), max(width, 1)), dtype=np.int64)
    np.add.at(wrong, (rows, answer[rows, cols]), (predictions[rows, cols] != tokens[rows, cols]).astype(np.int64))
    present = np.zeros_like(wrong, dtype=bool)
    present[rows, answer[rows, cols]] = True
    return np.where(present, (wrong > 0).astype(np.int64), IGNORE), np.where(present, 0, IGNORE)

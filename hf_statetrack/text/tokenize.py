"""Tokenizer work on rendered text: answer-token labels, the checks that a tokenizer can write a task,
and answer-level correctness.

A rendered row (`render`) marks its answers as character spans; `tokenize_text` turns the spans into
per-token labels ``token_id + vocab_size * answer_index`` (IGNORE outside answers), so a whole answer can
be scored even when answers are adjacent::

    text " 0 1 = 1 0", answer spans [(5, 7), (7, 9)] -> labels [-100, -100, -100, id(" 1"), id(" 0") + V]
"""

from __future__ import annotations

import numpy as np

from ..core.errors import StateTrackError
from ..tasks import IGNORE


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

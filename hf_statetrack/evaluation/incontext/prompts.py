"""Queries for in-context evaluation: K solved rows of the same length (shots), then the row to solve.

A prompt is the shots' full texts, one per line, then the query's prompt; the model must continue
with the query's target. S5 at length 3, two shots (answers="final")::

    14253 52413 51243 = 35124          <- shot: a pool row, prompt + target
    54231 13452 23514 = 34512          <- shot
    31245 21354 12435 =                <- query prompt; the answer is " 32514"

Test rows are the usual test split (for a checkpoint fine-tuned by our pipeline on this task, deduplicated
against its training data, as for token checkpoints); shots come from a pool, the train split of the
same length (all lengths up to it where that length has too few strings, as for a^n b^n). A query
draws its K shots among the pool rows that differ from it, with a numpy generator
seeded by (seed, row index): a shot never equals its query, and prompts are the same on any number of
processes. Excluding per query, not deduplicating the test split against the pool, keeps every test
row of small tasks (S3 has 36 strings of length 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.errors import StateTrackError
from ...core.limits import check_limit
from ...data import load_dataset
from ...text import split_labels, text_view, tokenize_text
from ..token_checkpoint import test_set


@dataclass(frozen=True)
class Query:
    """One row to solve: its prompt (shots included), the expected target and its bookkeeping."""

    split: str  # the results split, e.g. "test@8"
    length: int
    prompt: str
    target: str
    label: int  # class id of the final answer (index into the task's label_vocab)
    num_target_tokens: int  # tokens of the target span
    max_new_tokens: int  # how far generation goes: the target's tokens, plus one with shots (see run.py)


POOL_SIZE = 64  # shot pool rows per length: varied shots across queries (at least 8 per shot)


def check_shots(shots) -> int:
    """--shots is a whole number >= 0 within the documented limit (each shot lengthens every prompt)."""
    if isinstance(shots, bool) or not isinstance(shots, int) or shots < 0:
        raise StateTrackError(f"--shots must be a whole number >= 0, got {shots!r}")
    check_limit("shots", shots, "--shots")
    return shots


def shot_indices(pool_texts: list[str], query_text: str, shots: int, seed: int, index: int) -> list[int]:
    """The pool rows shown before query `index`: among those unequal to the query, a function of (seed, index).

    >>> pool = ["1 = 1", "0 = 0", "1 1 = 0"]
    >>> sorted(shot_indices(pool, "0 = 0", 2, seed=0, index=7))
    [0, 2]
    """
    allowed = [j for j, text in enumerate(pool_texts) if text != query_text]
    if shots and not allowed:
        raise StateTrackError(f"no row differs from {query_text!r} to show as a shot (the task has too few strings of "
                              f"this length); use --shots 0 or a longer --test-length")
    rng = np.random.default_rng([seed, index])
    return [allowed[k] for k in rng.choice(len(allowed), size=shots, replace=len(allowed) < shots)]


def build_prompt(shot_texts: list[str], query_prompt: str) -> str:
    """``"\\n".join(shots) + "\\n" + query prompt``; just the query prompt without shots."""
    return "\n".join([*shot_texts, query_prompt])


def shot_pool(task, length, shots: int, seed: int, answers: str) -> list[str]:
    """The texts shots are drawn from: the train split at the same length (or range); none without shots.

    Where that length has too few strings to show `shots` others (a^n b^n has one per length), the pool
    takes every length from the task's shortest up to it instead ("a b = $" before "a a b b =")."""
    if not shots:
        return []
    texts = pool_texts(task, length, shots, seed, answers)
    top = length if isinstance(length, int) else length[1]
    if len(set(texts)) <= shots and top > task.min_length:
        texts = pool_texts(task, (task.min_length, top), shots, seed, answers)
    return texts


def pool_texts(task, length, shots: int, seed: int, answers: str) -> list[str]:
    pool = load_dataset(task.name, train_length=length, num_train=max(POOL_SIZE, 8 * shots), num_validation=0,
                        num_test=0, seed=seed, **task.params)["train"]
    return text_view(pool, task, answers)["text"]


def target_answer_counts(rows: dict) -> list[int]:
    """Answers inside each row's target: 1 for tagging tasks, the output length for transductions."""
    return [sum(s >= len(p) for s in starts) for starts, p in zip(rows["answer_starts"], rows["prompt"])]


def target_token_counts(rows: dict, tokenizer) -> list[int]:
    """Tokens of each row's target span, from `tokenize_text`'s answer-tagged labels.

    `tokenize_text` also raises the clear error when the tokenizer cannot render the task."""
    labels = tokenize_text(rows, tokenizer)["labels"]
    counts = []
    for row_labels, num_answers, starts in zip(labels, target_answer_counts(rows), rows["answer_starts"]):
        _, answer = split_labels(np.asarray(row_labels), len(tokenizer))
        counts.append(int((answer >= len(starts) - num_answers).sum()))  # IGNORE (-100) never counts
    return counts


def check_single_answer(rows: dict, task_name: str, length) -> None:
    counts = target_answer_counts(rows)
    if any(c != 1 for c in counts):
        raise StateTrackError(f"--mode choice needs one answer per query, but {task_name} rows of length {length} "
                              f"have targets of up to {max(counts)} answers; use --mode generate")


def query_prompts(task, length, *, answers: str, shots: int, seed: int, num_test: int, meta: dict | None,
                  single: bool) -> tuple[dict, list[str]]:
    """Every test row of one length (its text columns) and the prompt each is asked with, shots included.

    Needs no tokenizer: `statetrack lm-eval export` writes these same prompts for lm-evaluation-harness.
    `single`: choice mode's check that each target is one answer."""
    test = test_set(meta, task.name, length, num_test, seed, task.params)
    if len(test) == 0:
        raise StateTrackError(f"no test rows of {task.name} at length {length} (all its strings are in the "
                              f"checkpoint's training data); use another --test-length")
    rows = text_view(test, task, answers)[:]
    if single:
        check_single_answer(rows, task.name, length)
    pool = shot_pool(task, length, shots, seed, answers)
    prompts = [build_prompt([pool[j] for j in shot_indices(pool, text, shots, seed, i)], prompt)
               for i, (text, prompt) in enumerate(zip(rows["text"], rows["prompt"]))]
    return rows, prompts


def make_queries(task, length, split: str, *, tokenizer, answers: str, shots: int, seed: int, num_test: int,
                 meta: dict | None, single: bool) -> list[Query]:
    """Every test row of one length as a `Query` (see the module docstring); `single`: choice mode's check."""
    rows, prompts = query_prompts(task, length, answers=answers, shots=shots, seed=seed, num_test=num_test, meta=meta,
                                  single=single)
    budgets = target_token_counts(rows, tokenizer)
    return [Query(split, rows["length"][i], prompt, rows["target"][i], rows["answer_labels"][i][-1], budget,
                  budget + (1 if shots else 0)) for i, (prompt, budget) in enumerate(zip(prompts, budgets))]

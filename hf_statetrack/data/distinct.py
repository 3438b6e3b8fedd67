"""Distinct strings (``distinct=True``): every input occurs at most once across train, validation and test.

The Illusion-of-State data (Merrill et al. 2024) holds every string for lengths 2 and 3 (3,600 and 216,000
A5 words) and 1M distinct strings above. Here one pool of distinct rows is drawn per build, then cut:

1. Candidates come in chunks of ``rows_per_shard(length)`` rows; chunk k draws from
   ``SeedSequence([seed, 3, 0, k])`` (3 = one past the split ids: a stream no split uses).
2. A candidate joins the pool if the 64-bit `row_hashes` of its input is new (first occurrence wins),
   until the pool holds the target: the requested total, or every string of the length once the total
   reaches ``task.num_strings(length)``.
3. A permutation from ``SeedSequence([seed, 3, 1])`` shuffles the pool, so the order in which strings were
   first met (likely strings first, under a non-uniform sampler) does not decide their split; train,
   validation and test then take consecutive slices, disjoint by construction.

Example: A5 at length 2 has 60**2 = 3,600 words. num_train=8000, num_test=2000, num_validation=0 asks for
10,000, so the splits are capped to 2,880 / 0 / 720 (the requested 4:1) and partition all 3,600 words,
with one line saying so (logged, and in ``ds[split].info.description``).

Where the number of strings is unknown (or the sampler cannot reach them all), drawing stops after
`stall_limit` draws in a row bring no new string, and the splits share what was found in the requested
proportions (a text task such as cups_S3 finds its strings this way). The pool is a function of the
parameters alone: `num_proc` only changes who writes which slice. It is held in memory (1M rows of
length 8 take ~50 MB). Two different inputs with one 64-bit hash would count as one string (odds ~1e-8
for 1M rows): a row too few, never a duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..tasks import IGNORE, Batch, Task
from .generate import in_sorted, row_hashes, rows_per_shard
from .params import SPLITS, GenerationParams

logger = logging.getLogger(__name__)

DISTINCT_STREAM = len(SPLITS)  # seed-sequence entry after the split ids 0..2: disjoint from every split's stream
MIN_STALL_DRAWS, STALL_FACTOR = 1 << 20, 16


def stall_limit(found: int) -> int:
    """Draws in a row without a new string after which drawing stops.

    If a string were still missing under uniform sampling over N >= found + 1 strings, a run this long
    has probability (found / N) ** (16 found) <= e^-16 or so; the floor keeps small pools from stopping early."""
    return max(MIN_STALL_DRAWS, STALL_FACTOR * found)


def new_rows(hashes: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Ascending positions of the first occurrence of each hash that is not already in `pool` (sorted)."""
    _, first = np.unique(hashes, return_index=True)  # index of each value's first occurrence
    first = first[~in_sorted(pool, hashes[first])]
    first.sort()
    return first


def concat_batches(pieces: list[Batch]) -> Batch:
    """One batch from several, padded to the widest (padding is never read: rows end at seq_lens)."""
    width = max(p.input_ids.shape[1] for p in pieces)

    def stack(arrays, fill):  # pad only where needed: labels may be unsigned when no row is padded
        return np.concatenate([a if a.shape[1] == width else np.pad(a, ((0, 0), (0, width - a.shape[1])),
                                                                     constant_values=fill) for a in arrays])

    return Batch(stack([p.input_ids for p in pieces], 0), stack([p.labels for p in pieces], IGNORE),
                 np.concatenate([p.lengths for p in pieces]), np.concatenate([p.seq_lens for p in pieces]),
                 {name: stack([p.extras[name] for p in pieces], 0) for name in pieces[0].extras})


def draw_distinct(task: Task, params: GenerationParams, target: int) -> tuple[Batch, int, int]:
    """The first `target` distinct rows of the candidate stream (fewer if it stalls), the number of
    candidates drawn, and how many of the last ones brought nothing new."""
    length = params.train_length[0]
    per = rows_per_shard(length)
    pool = np.empty(0, dtype=np.uint64)  # sorted hashes of the rows kept so far
    pieces, chunk, since_new = [], 0, 0
    while len(pool) < target and since_new < stall_limit(len(pool)):
        rng = np.random.default_rng(np.random.SeedSequence([params.seed, DISTINCT_STREAM, 0, chunk]))
        batch = task.sample(rng, np.full(per, length))
        hashes = row_hashes(batch)
        new = new_rows(hashes, pool)[:target - len(pool)]
        since_new = since_new + per if len(new) == 0 else per - 1 - int(new[-1])
        pieces.append(batch.select(new))
        pool = np.sort(np.concatenate([pool, hashes[new]]))
        chunk += 1
    if not pieces:  # nothing requested: an empty batch with the task's own dtypes
        pieces.append(task.sample(np.random.default_rng(0), np.full(0, length)))
    return concat_batches(pieces), chunk * per, since_new


def split_sizes(requested: dict[str, int], available: int) -> dict[str, int]:
    """The requested sizes if they fit in `available`; else `available` shared in the requested proportions
    (largest remainder, ties to the earlier split).

    >>> split_sizes({"train": 8000, "validation": 0, "test": 2000}, 3600)
    {'train': 2880, 'validation': 0, 'test': 720}
    >>> split_sizes({"train": 8000, "validation": 1000, "test": 2000}, 3600)  # 2618.2, 327.3, 654.5
    {'train': 2618, 'validation': 327, 'test': 655}
    """
    total = sum(requested.values())
    if total <= available:
        return dict(requested)
    sizes = {s: n * available // total for s, n in requested.items()}
    short = available - sum(sizes.values())  # < number of splits with a remainder, so zero requests stay zero
    by_remainder = sorted(requested, key=lambda s: -(requested[s] * available % total))  # stable sort
    for s in by_remainder[:short]:
        sizes[s] += 1
    return sizes


@dataclass
class Pool:
    """The distinct rows of a build, shuffled, with train, validation, test as consecutive slices."""

    rows: Batch
    sizes: dict[str, int]
    note: str  # one line for the dataset description: how many strings, and any cap
    per: int  # rows per piece: one Arrow table, and the unit `num_proc` workers share out

    def split(self, split: str) -> Batch:
        start = sum(self.sizes[s] for s in SPLITS[:SPLITS.index(split)])
        return self.rows.select(np.arange(start, start + self.sizes[split]))

    def shards(self, split: str) -> list[Batch]:
        rows = self.split(split)
        return [rows.select(np.arange(start, min(start + self.per, len(rows))))
                for start in range(0, len(rows), self.per)]


def build_pool(task: Task, params: GenerationParams) -> Pool:
    """Draw the distinct rows for `params` (``distinct=True``, one length) and size the splits."""
    length = params.train_length[0]
    requested = {s: params.split_spec(s)[0] for s in SPLITS}
    total = sum(requested.values())
    capacity = task.num_strings(length)
    rows, draws, since_new = draw_distinct(task, params, total if capacity is None else min(total, capacity))
    sizes = split_sizes(requested, len(rows))
    order = np.random.default_rng(np.random.SeedSequence([params.seed, DISTINCT_STREAM, 1])).permutation(len(rows))
    note = describe(task.name, length, requested, sizes, capacity, draws, since_new)
    if sizes != requested:
        logger.warning(note)
    return Pool(rows.select(order), sizes, note, rows_per_shard(length))


def describe(name: str, length: int, requested: dict, sizes: dict, capacity: int | None, draws: int,
             since_new: int) -> str:
    """One line: the pool, and why splits are smaller than requested if they are."""
    total, found = sum(requested.values()), sum(sizes.values())
    shares = ", ".join(f"{s} {sizes[s]:,}" for s in SPLITS)
    of = f" of the {capacity:,} that exist" if capacity is not None else ""
    if found == total:
        return f"distinct: {found:,} distinct strings of length {length}{of}, no input in two splits ({shares})"
    if found == capacity:
        return (f"distinct: {name} has only {capacity:,} strings of length {length} but {total:,} rows were "
                f"requested; the splits hold all of them in the requested proportions ({shares})")
    return (f"distinct: found only {found:,} distinct strings of length {length}{of} ({total:,} requested) in "
            f"{draws:,} draws, the last {since_new:,} without a new one; the splits share them in the requested "
            f"proportions ({shares})")

"""Sharded, reproducible generation: rows are a pure function of (params, split, shard id).

Each split is cut into shards of a size fixed by the lengths alone; shard k of split s draws from
``SeedSequence([seed, s, k])``. Workers receive whole shards, so the rows never depend on the
number of processes, and the three splits draw from disjoint seed streams.
Test rows whose input sequence also occurs in train or validation are dropped (`seen_hashes`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..tasks import Batch, Task
from .params import SPLITS, GenerationParams

TOKENS_PER_SHARD = 1 << 21
MIN_ROWS_PER_SHARD, MAX_ROWS_PER_SHARD = 1024, 1 << 16


def rows_per_shard(max_length: int) -> int:
    return int(np.clip(TOKENS_PER_SHARD // max(max_length, 1), MIN_ROWS_PER_SHARD, MAX_ROWS_PER_SHARD))


def shard_sizes(params: GenerationParams, split: str) -> list[int]:
    num_rows, (_, hi) = params.split_spec(split)
    per = rows_per_shard(hi)
    return [min(per, num_rows - start) for start in range(0, num_rows, per)]


def generate_shard(task: Task, params: GenerationParams, split: str, shard_id: int) -> Batch:
    num_rows, (lo, hi) = params.split_spec(split)
    per = rows_per_shard(hi)
    n = min(per, num_rows - shard_id * per)
    rng = np.random.default_rng(np.random.SeedSequence([params.seed, SPLITS.index(split), shard_id]))
    support = task.length_support(lo, hi)
    lengths = support[rng.integers(0, len(support), size=n)] if n else support[:0]
    return task.sample(rng, lengths)


def _hash_weights(width: int) -> np.ndarray:
    """Fixed odd 64-bit weights, one per position (the same in every process and run)."""
    return np.random.default_rng(0x5EED).integers(0, 2**63, size=width, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def row_hashes(batch: Batch) -> np.ndarray:
    """64-bit hash of each row's input tokens and count: a random linear form mod 2^64, then a mixer.

    Equal rows hash equal; a collision between different rows can only drop an extra test row,
    never keep a duplicate."""
    tokens = batch.input_ids.astype(np.uint64) + np.uint64(1)  # 0 is reserved for "no token here"
    if not (batch.seq_lens == batch.input_ids.shape[1]).all():
        tokens[np.arange(batch.input_ids.shape[1]) >= batch.seq_lens[:, None]] = 0
    h = tokens @ _hash_weights(tokens.shape[1]) + batch.seq_lens.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    return h ^ (h >> np.uint64(29))


def lengths_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def seen_hashes(task: Task, params: GenerationParams) -> np.ndarray | None:
    """Sorted hashes of train and validation rows whose length the test split can also produce."""
    if params.num_test == 0 or not lengths_overlap(params.train_length, params.test_length):
        return None
    lo, hi = params.test_length
    found = []
    for split in ("train", "validation"):
        for shard_id in range(len(shard_sizes(params, split))):
            batch = generate_shard(task, params, split, shard_id)
            keep = (batch.lengths >= lo) & (batch.lengths <= hi)
            found.append(row_hashes(batch if keep.all() else batch.select(keep)))
    return np.unique(np.concatenate(found)) if found else None


def in_sorted(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Boolean mask: which of `values` occur in `sorted_values` (ascending), by binary search."""
    if len(sorted_values) == 0:
        return np.zeros(len(values), dtype=bool)
    return sorted_values[np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)] == values


def drop_seen(batch: Batch, seen: np.ndarray | None) -> Batch:
    if seen is None or len(seen) == 0 or len(batch) == 0:
        return batch
    fresh = ~in_sorted(seen, row_hashes(batch))
    return batch if fresh.all() else batch.select(fresh)


def count_test_collisions(task: Task, params: GenerationParams, seen: np.ndarray | None) -> int:
    if seen is None:
        return 0
    return sum(len(b) - len(drop_seen(b, seen))
               for b in (generate_shard(task, params, "test", k) for k in range(len(shard_sizes(params, "test")))))


def ragged(values: np.ndarray, seq_lens: np.ndarray, dtype) -> pa.ListArray:
    """Padded (N, T) -> Arrow list array with row i = values[i, :seq_lens[i]], without a Python loop."""
    offsets = np.zeros(len(seq_lens) + 1, dtype=np.int32)
    np.cumsum(seq_lens, out=offsets[1:])
    if len(seq_lens) and (seq_lens == values.shape[1]).all():
        flat = np.ascontiguousarray(values, dtype=dtype).reshape(-1)  # one pass: layout and dtype together
    else:
        flat = values[np.arange(values.shape[1]) < seq_lens[:, None]].astype(dtype, copy=False)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat))


def batch_to_table(batch: Batch, token_dtype) -> pa.Table:
    return pa.table({
        "input_ids": ragged(batch.input_ids, batch.seq_lens, token_dtype),
        "labels": ragged(batch.labels, batch.seq_lens, token_dtype),
        "length": pa.array(batch.lengths.astype(np.int32)),
        **{name: ragged(values, batch.seq_lens, token_dtype) for name, values in batch.extras.items()},
    })

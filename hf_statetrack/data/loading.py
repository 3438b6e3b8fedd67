"""``hf_statetrack.load_dataset``: the task name plus the common generation parameters."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import datasets
import datasets.builder
import pyarrow.compute as pc

from ..core.errors import StateTrackError
from .builder import DATASET_NAME, StateTrackBuilder, check_datasets_builder
from .params import SPLITS
from .peers import load_peer_dataset
from .registration import source_hash


def make_builder(name: str, cache_dir: str | None = None, **params) -> StateTrackBuilder:
    """The builder `datasets.load_dataset("hf_statetrack", name, **params)` would create."""
    return StateTrackBuilder(config_name=name, dataset_name=DATASET_NAME, hash=source_hash(),
                             cache_dir=cache_dir, **params)


def load_dataset(name: str, *, train_length=None, test_length=None, num_train: int | None = None,
                 num_test: int | None = None, num_validation: int | None = None, seed: int = 0, distinct: bool = False,
                 streaming: bool = False, num_proc: int | None = None, cache_dir: str | None = None,
                 source: str | None = None, data_dir=None, **task_params):
    """Generate (or reuse from the cache) a task's train / validation / test splits.

    >>> ds = load_dataset("S5", train_length=(2, 20), test_length=40, num_train=1000, num_test=100)
    >>> ds["train"][0].keys()
    dict_keys(['input_ids', 'labels', 'length'])

    `validation` has the train lengths and `num_validation` rows (default `num_test`); `test` has
    `test_length` (default the train lengths). Tasks with a literature protocol (formal languages:
    train 1..50 / test 51..100; Chomsky hierarchy: 1..40 / 41..500) use it when `train_length` is omitted.
    `streaming=True` returns an `IterableDatasetDict` with the same rows. Extra keywords are task
    parameters, e.g. ``generators="transpositions"``.

    `distinct=True` (one fixed length for all splits) draws rows without replacement across all splits,
    as the Illusion-of-State data does; once the total reaches the number of strings of that length
    the splits partition all of them in the requested proportions (a capped request says so in one
    logged line and in ``info.description``). Every A5 word of length 2, split 4:1:

    >>> ds = load_dataset("A5", train_length=2, num_train=2880, num_test=720, num_validation=0, distinct=True)
    >>> ds["train"].num_rows + ds["test"].num_rows
    3600

    `source="sarrof"` or `"group_theory_collection"` with `data_dir=` reads a peer's published rows instead
    of generating them (`peers`): their strings, our labels, their target in `peer_target`; the
    generation parameters (lengths, counts, seed, distinct) are then the files' own and may not be given.
    """
    if not isinstance(name, str):
        raise StateTrackError(f"the task name must be a string such as 'S5', got {type(name).__name__} {name!r:.40}")
    check_num_proc(num_proc)
    check_cache_dir(cache_dir)
    if not isinstance(streaming, bool):
        raise StateTrackError(f"streaming must be True or False, got {streaming!r}")
    if source is not None or data_dir is not None:
        given = {"train_length": train_length, "test_length": test_length, "num_train": num_train, "num_test": num_test,
                 "num_validation": num_validation, "seed": seed or None, "distinct": distinct or None}
        check_no_generation(source, given)
        result = load_peer_dataset(name, source=source, data_dir=data_dir, cache_root=cache_root(cache_dir),
                                   writable=cache_writable(cache_dir), **task_params)
        features = next(iter(result.values())).features
        if streaming:
            result = {split: rows.to_iterable_dataset() for split, rows in result.items()}
        return with_all_splits(result, features, streaming)
    read_only = not cache_writable(cache_dir)
    with no_cache_locks() if read_only else contextlib.nullcontext():
        builder = make_builder(name, cache_dir=cache_dir, train_length=train_length, test_length=test_length,
                               num_train=num_train, num_test=num_test, num_validation=num_validation, seed=seed,
                               distinct=distinct, **task_params)
        if streaming:  # generated on the fly: nothing is written, so a read-only cache is fine
            return with_all_splits(builder.as_streaming_dataset(), builder.info.features, streaming=True)
        if read_only and not (Path(builder.cache_dir) / datasets.config.DATASET_INFO_FILENAME).is_file():
            raise StateTrackError(f"the dataset cache {cache_root(cache_dir)} is read-only and holds no complete copy "
                                  f"of this dataset; pass cache_dir= a writable folder (or generate it there first)")
        builder.download_and_prepare(num_proc=num_proc)
    return with_all_splits(builder.as_dataset(), builder.info.features, streaming=False)


def check_no_generation(source, given: dict) -> None:
    """A peer source fixes its rows: generation parameters next to it are a mistake, said in one line."""
    if source is None:
        raise StateTrackError("data_dir= reads a peer's files and needs source= ('sarrof' or "
                              "'group_theory_collection'); generated datasets take no data_dir")
    extra = [key for key, value in given.items() if value is not None]
    if extra:
        raise StateTrackError(f"source={source!r} reads the peer's rows as published: drop {', '.join(extra)} "
                              f"(the files fix the strings and the splits)")


def cache_root(cache_dir) -> Path:
    return Path(cache_dir or datasets.config.HF_DATASETS_CACHE).expanduser()


def cache_writable(cache_dir) -> bool:
    """False for a cache folder that exists and cannot be written (a shared, read-only copy)."""
    root = cache_root(cache_dir)
    return not root.is_dir() or os.access(root, os.W_OK)


@contextlib.contextmanager
def no_cache_locks():
    """datasets takes lock files beside the cache even to read it. In a folder nobody can write, nobody can be
    writing the data either, so a complete cache is read without them (`upstream` hook datasets_builder)."""
    check_datasets_builder()
    original = datasets.builder.FileLock
    datasets.builder.FileLock = lambda *args, **kwargs: contextlib.nullcontext()
    try:
        yield
    finally:
        datasets.builder.FileLock = original


def check_num_proc(num_proc) -> None:
    if num_proc is not None and (isinstance(num_proc, bool) or not isinstance(num_proc, int) or num_proc < 1):
        raise StateTrackError(f"num_proc must be a whole number >= 1 (or None for one process), got {num_proc!r}")


def check_cache_dir(cache_dir) -> None:
    if cache_dir is None:
        return
    if not isinstance(cache_dir, (str, os.PathLike)):
        raise StateTrackError(f"cache_dir must be a folder path, got {type(cache_dir).__name__} {cache_dir!r:.40}")
    if Path(cache_dir).exists() and not Path(cache_dir).is_dir():
        raise StateTrackError(f"cache_dir {cache_dir} is a file; give a folder (or None for the default cache)")


def with_all_splits(splits: dict, features: datasets.Features, streaming: bool):
    """Add an empty split for each count of 0, so every result has train, validation and test (then any other
    split, e.g. a peer source's extra test bins)."""
    extra = {s: rows for s, rows in splits.items() if s not in SPLITS}
    if streaming:
        empty = datasets.IterableDataset.from_generator(_no_rows, features=features)
        return datasets.IterableDatasetDict({**{s: splits.get(s, empty) for s in SPLITS}, **extra})
    empty = datasets.Dataset.from_dict({name: [] for name in features}, features=features)
    return datasets.DatasetDict({**{s: splits.get(s, empty) for s in SPLITS}, **extra})


def _no_rows():
    yield from ()


def count_tokens(dataset: datasets.Dataset) -> int:
    """Positions in a dataset's rows (inputs plus any output positions), counted by Arrow, not Python."""
    return int(pc.sum(pc.list_value_length(dataset.data.column("input_ids"))).as_py() or 0)

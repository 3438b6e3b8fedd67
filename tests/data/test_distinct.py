"""distinct=True: rows drawn without replacement across splits, as the Illusion-of-State data (Merrill et al.
2024, every A5 word of lengths 2 and 3, 1M distinct strings above)."""

import doctest
import itertools
import logging

import datasets
import numpy as np
import pytest

import hf_statetrack
from hf_statetrack import StateTrackError
from hf_statetrack.data import distinct
from hf_statetrack.data.params import GenerationParams
from hf_statetrack.tasks.word_problem import WordProblemTask

A5_ALL = dict(train_length=2, num_train=2880, num_test=720, num_validation=0, distinct=True)


def inputs(ds) -> list[tuple]:
    return [tuple(x) for x in ds["input_ids"]]


def test_a5_length_2_holds_every_word_once_in_disjoint_splits(tmp_path):
    ds = hf_statetrack.load_dataset("A5", cache_dir=str(tmp_path), **A5_ALL)
    train, test = inputs(ds["train"]), inputs(ds["test"])
    assert (len(train), ds["validation"].num_rows, len(test)) == (2880, 0, 720)
    assert set(train) | set(test) == set(itertools.product(range(60), repeat=2))  # every word, by enumeration
    assert len(set(train)) == 2880 and not set(train) & set(test)
    group = hf_statetrack.get_task("A5").group  # labels still belong to their inputs after the shuffle
    assert all(r["labels"] == [r["input_ids"][0], group.multiply(*r["input_ids"])] for r in ds["test"])
    assert "3,600 distinct strings of length 2 of the 3,600 that exist" in ds["train"].info.description


def test_a_request_above_the_number_of_strings_is_capped_in_proportion(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger=distinct.__name__):
        ds = hf_statetrack.load_dataset("A5", train_length=2, num_train=8000, num_validation=1000, num_test=2000,
                                        distinct=True, cache_dir=str(tmp_path))
    sizes = {split: ds[split].num_rows for split in ds}
    assert sizes == {"train": 2618, "validation": 327, "test": 655}  # 3,600 shared 8:1:2
    assert len({row for split in ds.values() for row in inputs(split)}) == 3600
    line = "A5 has only 3,600 strings of length 2 but 11,000 rows were requested"
    assert line in caplog.text and line in ds["test"].info.description


@pytest.mark.parametrize("requested,available", [((5, 0, 3), 4), ((1, 1, 1), 2), ((7, 3, 11), 20), ((0, 9, 0), 4)])
def test_split_sizes_share_what_is_available_in_proportion(requested, available):
    requested = dict(zip(("train", "validation", "test"), requested))
    sizes = distinct.split_sizes(requested, available)
    total = sum(requested.values())
    assert sum(sizes.values()) == available
    assert all(abs(sizes[s] - n * available / total) < 1 and (n > 0 or sizes[s] == 0) for s, n in requested.items())
    assert doctest.testmod(distinct).failed == 0


def reference_pool(task, params, target: int) -> list[tuple]:
    """The same candidate stream, deduplicated by a Python set of whole inputs (no hashing)."""
    seen, kept, chunk = set(), [], 0
    length = params.train_length[0]
    while len(kept) < target:
        rng = np.random.default_rng(np.random.SeedSequence([params.seed, 3, 0, chunk]))
        for row, _, _ in task.sample(rng, np.full(distinct.rows_per_shard(length), length)).rows():
            if tuple(row) not in seen and len(kept) < target:
                seen.add(tuple(row))
                kept.append(tuple(row))
        chunk += 1
    return kept


def test_the_pool_matches_a_plain_set_reference():
    params = GenerationParams.resolve("Z2", train_length=12, num_train=2000, num_test=1000, num_validation=500,
                                      seed=5, distinct=True)  # 3,500 of the 4,096 words: duplicates are common
    rows, _, _ = distinct.draw_distinct(params.task(), params, 3500)
    assert [tuple(r) for r, _, _ in rows.rows()] == reference_pool(params.task(), params, 3500)


def test_same_params_same_rows_whatever_num_proc_or_streaming(tmp_path):
    params = dict(train_length=1000, num_train=5000, num_test=300, num_validation=100, distinct=True)  # 3 train shards
    one = hf_statetrack.load_dataset("Z60", cache_dir=str(tmp_path / "one"), **params)
    two = hf_statetrack.load_dataset("Z60", cache_dir=str(tmp_path / "two"), num_proc=2, **params)
    stream = hf_statetrack.load_dataset("Z60", streaming=True, **params)
    assert len(two["train"].cache_files) == 2
    for split in one:
        assert one[split]["input_ids"] == two[split]["input_ids"] == [r["input_ids"] for r in stream[split]]
        assert one[split]["labels"] == two[split]["labels"]
    assert len({row for split in one.values() for row in inputs(split)}) == 5400
    other_seed = hf_statetrack.load_dataset("Z60", cache_dir=str(tmp_path / "three"), seed=1, **params)
    assert inputs(other_seed["test"]) != inputs(one["test"])


def test_without_a_known_number_of_strings_drawing_stops_when_nothing_new_comes(monkeypatch, caplog):
    monkeypatch.setattr(WordProblemTask, "num_strings", lambda self, length: None)
    monkeypatch.setattr(distinct, "MIN_STALL_DRAWS", 1 << 17)
    params = GenerationParams.resolve("Z2", train_length=3, num_train=15, num_test=5, num_validation=0, distinct=True)
    with caplog.at_level(logging.WARNING, logger=distinct.__name__):
        pool = distinct.build_pool(params.task(), params)
    assert pool.sizes == {"train": 6, "validation": 0, "test": 2}  # the 8 words of length 3, shared 3:1
    assert len({tuple(r) for r, _, _ in pool.rows.rows()}) == 8
    assert "found only 8 distinct strings of length 3 (20 requested)" in caplog.text


def test_the_cache_key_is_unchanged_without_distinct():
    plain = GenerationParams.resolve("S5", train_length=5, num_train=10, num_test=10)
    assert "distinct" not in plain.as_dict() and "distinct" not in plain.load_kwargs()
    assert plain.fingerprint() == "756a2241186d5791"  # the key before distinct existed: old caches stay valid
    marked = GenerationParams.resolve("S5", train_length=5, num_train=10, num_test=10, distinct=True)
    assert marked.load_kwargs()["distinct"] is True and marked.fingerprint() != plain.fingerprint()


@pytest.mark.parametrize("params,message", [
    ({"train_length": (2, 4)}, r"distinct=True needs one fixed length for every split, got train_length=\(2, 4\)"),
    ({"test_length": 3}, "distinct=True needs one fixed length .* train_length=2 and test_length=3"),
    ({"distinct": "yes"}, "distinct must be True or False, got 'yes'"),
])
def test_unsupported_combinations_fail_in_one_line(tmp_path, params, message):
    full = {"train_length": 2, "num_train": 10, "num_test": 10, "distinct": True, **params}
    with pytest.raises(StateTrackError, match=message):
        hf_statetrack.load_dataset("A5", cache_dir=str(tmp_path), **full)
    with pytest.raises(StateTrackError, match=message):
        datasets.load_dataset("hf_statetrack", "A5", cache_dir=str(tmp_path), **full)
    assert not list(tmp_path.rglob("*.arrow"))


def test_a_distinct_checkpoint_is_evaluated_on_its_own_held_out_strings(tmp_path):
    """`statetrack eval` at the training length rebuilds the pool and scores the held-out split, never a train row."""
    from hf_statetrack.evaluation.token_checkpoint import test_set

    params = {"name": "A5", "train_length": [2, 2], "test_length": [2, 2], "num_train": 2880, "num_validation": 0,
              "num_test": 720, "seed": 0, "task_params": {}, "distinct": True}
    test = test_set({"generation": params}, "A5", 2, 500, 0, {})
    data = hf_statetrack.load_dataset("A5", train_length=2, num_train=2880, num_validation=0, num_test=720,
                                      distinct=True)
    train = {tuple(r) for r in data["train"]["input_ids"]}
    assert len(test) == 500 and not any(tuple(r) in train for r in test["input_ids"])
    assert test["input_ids"] == data["test"]["input_ids"][:500]

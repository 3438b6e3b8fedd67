import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import datasets
import pytest

import hf_statetrack
from hf_statetrack import StateTrackError
from hf_statetrack.data import builder as builder_module
from hf_statetrack.data import registration
from hf_statetrack.data.params import DEFAULT_LENGTH

SMALL = dict(train_length=(2, 6), test_length=(5, 9), num_train=600, num_test=200, num_validation=50)


def rows(ds):
    return [(r["input_ids"], r["labels"], r["length"]) for r in ds]


def test_splits_lengths_and_columns(tmp_path):
    ds = hf_statetrack.load_dataset("S5", cache_dir=str(tmp_path), **SMALL)
    assert list(ds) == ["train", "validation", "test"]
    assert (ds["train"].num_rows, ds["validation"].num_rows) == (600, 50)
    assert ds["test"].column_names == ["input_ids", "labels", "length"]
    for split, (lo, hi) in [("train", (2, 6)), ("validation", (2, 6)), ("test", (5, 9))]:
        lengths = list(ds[split]["length"])
        assert min(lengths) >= lo and max(lengths) <= hi and len(set(lengths)) == hi - lo + 1
        assert all(len(r["input_ids"]) == len(r["labels"]) == r["length"] for r in ds[split])


def test_same_params_same_rows_in_fresh_caches(tmp_path):
    a = hf_statetrack.load_dataset("A4_x_Z5", cache_dir=str(tmp_path / "a"), seed=3, **SMALL)
    b = hf_statetrack.load_dataset("A4_x_Z5", cache_dir=str(tmp_path / "b"), seed=3, **SMALL)
    c = hf_statetrack.load_dataset("A4_x_Z5", cache_dir=str(tmp_path / "c"), seed=4, **SMALL)
    for split in a:
        assert rows(a[split]) == rows(b[split])
    assert rows(a["train"]) != rows(c["train"])


def test_rows_do_not_depend_on_num_proc(tmp_path):
    params = dict(train_length=(1000, 1100), num_train=5000, num_test=10, num_validation=0)  # 3 train shards
    one = hf_statetrack.load_dataset("Z60", cache_dir=str(tmp_path / "one"), **params)
    two = hf_statetrack.load_dataset("Z60", cache_dir=str(tmp_path / "two"), num_proc=2, **params)
    assert len(one["train"].cache_files) == 1 and len(two["train"].cache_files) == 2
    assert rows(one["train"]) == rows(two["train"])


def test_test_inputs_never_occur_in_train_or_validation(tmp_path):
    # Z2 words of length <= 6: only 126 exist, so collisions are certain and must be removed.
    params = dict(train_length=(1, 6), num_train=300, num_test=300, num_validation=30)
    ds = hf_statetrack.load_dataset("Z2", cache_dir=str(tmp_path), **params)
    seen = {tuple(x) for split in ("train", "validation") for x in ds[split]["input_ids"]}
    test = [tuple(x) for x in ds["test"]["input_ids"]]
    assert not seen & set(test)
    dropped = 300 - len(test)
    assert dropped > 0
    assert f"dropped because their input also occurs in train or validation: {dropped} of 300" in \
        ds["test"].info.description


def test_second_identical_call_reads_the_cache(tmp_path, monkeypatch):
    first = hf_statetrack.load_dataset("S3", cache_dir=str(tmp_path), **SMALL)

    def no_generation(*args, **kwargs):
        raise AssertionError("regenerated instead of reading the cache")

    monkeypatch.setattr(builder_module, "generate_shard", no_generation)
    monkeypatch.setattr(builder_module, "seen_hashes", no_generation)
    again = hf_statetrack.load_dataset("S3", cache_dir=str(tmp_path), **{**SMALL, "train_length": [2, 6]})
    assert again["train"].cache_files == first["train"].cache_files
    assert rows(again["test"]) == rows(first["test"])


def test_streaming_gives_the_same_rows(tmp_path):
    ds = hf_statetrack.load_dataset("D4", cache_dir=str(tmp_path), **SMALL)
    stream = hf_statetrack.load_dataset("D4", streaming=True, **SMALL)
    assert isinstance(stream, datasets.IterableDatasetDict)
    for split in ds:
        assert rows(stream[split]) == rows(ds[split])


def test_datasets_load_dataset_by_name_matches(tmp_path):
    ours = hf_statetrack.load_dataset("Q8", cache_dir=str(tmp_path / "a"), **SMALL)
    theirs = datasets.load_dataset("hf_statetrack", "Q8", cache_dir=str(tmp_path / "b"), **SMALL)
    for split in ours:
        assert rows(theirs[split]) == rows(ours[split])
    stream = datasets.load_dataset("hf_statetrack", "Q8", streaming=True, **SMALL)
    assert rows(stream["test"]) == rows(ours["test"])


LOAD_BY_NAME = """
import json, os, datasets, hf_statetrack
os.mkdir("hf_statetrack")  # a folder named like the dataset must not be read as one (made after import,
                           # as a folder in the cwd would shadow an editable install's package)
ds = datasets.load_dataset("hf_statetrack", "S3_x_Z2", train_length=4, num_train=20, num_test=5)
print(json.dumps(list(ds["train"]["input_ids"])))
"""


@pytest.mark.parametrize("decoy", [None, "train.csv"])
def test_load_by_name_from_any_working_directory(tmp_path, decoy):
    cwd = tmp_path / "work"
    cwd.mkdir()
    if decoy:  # a data file in the cwd must not be picked up as the dataset
        (cwd / decoy).write_text("a,b\n1,2\n")
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", LOAD_BY_NAME], cwd=cwd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    expected = hf_statetrack.load_dataset("S3_x_Z2", train_length=4, num_train=20, num_test=5,
                                          cache_dir=str(tmp_path / "c"))
    assert json.loads(out.stdout.strip().splitlines()[-1]) == list(expected["train"]["input_ids"])


@pytest.mark.parametrize("name,params,message", [
    ("S6x", {}, "unknown task 'S6x'"),
    ("A4_x_", {}, "malformed group spec"),
    ("S5", {"train_length": 0}, "train_length must be at least 1"),
    ("S5", {"num_train": -1}, "num_train must be >= 0"),
    ("S5", {"test_length": (9, 3)}, r"test_length range \(9, 3\) has min > max"),
    ("S5", {"train_length": "ten"}, "train_length must be an int or a range"),
])
def test_bad_input_gives_one_clear_error(tmp_path, name, params, message):
    full = {"train_length": 5, "num_train": 10, "num_test": 10, **params}
    with pytest.raises(StateTrackError, match=message):
        hf_statetrack.load_dataset(name, cache_dir=str(tmp_path), **full)
    with pytest.raises(StateTrackError, match=message):
        datasets.load_dataset("hf_statetrack", name, cache_dir=str(tmp_path), **full)
    assert not list(tmp_path.rglob("*.arrow"))


def test_hook_warns_when_datasets_internals_change(monkeypatch):
    monkeypatch.setattr(datasets.load, "dataset_module_factory", lambda *a, **k: None)
    monkeypatch.setattr(datasets.load, "load_dataset_builder", lambda path: path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert registration.install_datasets_hook() is False
    assert "use hf_statetrack.load_dataset" in str(caught[0].message)


def test_a_split_of_zero_rows_is_present_and_empty(tmp_path):
    params = dict(train_length=4, num_train=30, num_test=10, num_validation=0)
    ds = hf_statetrack.load_dataset("S3", cache_dir=str(tmp_path), **params)
    assert ds["validation"].num_rows == 0 and ds["validation"].features == ds["train"].features
    assert list(hf_statetrack.load_dataset("S3", streaming=True, **params)["validation"]) == []


def test_a_test_split_emptied_by_deduplication_is_present_and_empty(tmp_path):
    # every Z2 word of length 3 (there are 8) is already in train
    ds = hf_statetrack.load_dataset("Z2", train_length=3, num_train=100, num_test=10, cache_dir=str(tmp_path))
    assert ds["test"].num_rows == 0 and ds["train"].num_rows == 100
    assert "dropped because their input also occurs in train or validation: 10 of 10" in \
        ds["train"].info.description


def test_protocol_lengths_when_train_length_is_omitted(tmp_path):
    ds = hf_statetrack.load_dataset("parity_check", num_train=50, num_test=20, cache_dir=str(tmp_path))
    assert 1 <= min(ds["train"]["length"]) and max(ds["train"]["length"]) <= 40
    assert min(ds["test"]["length"]) >= 41 and max(ds["test"]["length"]) <= 500


@pytest.mark.parametrize("name", ["S5", "cups_S3", "programs"])
def test_without_a_protocol_every_task_takes_the_default_lengths(tmp_path, name):
    """One rule for every task (`GenerationParams.resolve`): the protocol, else DEFAULT_LENGTH for both splits."""
    ds = hf_statetrack.load_dataset(name, num_train=30, num_test=10, cache_dir=str(tmp_path))
    lo, hi = DEFAULT_LENGTH
    for split in ("train", "validation", "test"):
        assert lo <= min(ds[split]["length"]) and max(ds[split]["length"]) <= hi
    assert ds["train"]["input_ids"] == hf_statetrack.load_dataset(
        name, train_length=DEFAULT_LENGTH, num_train=30, num_test=10, cache_dir=str(tmp_path))["train"]["input_ids"]


def test_the_cache_key_covers_every_generator_file_in_subfolders(tmp_path):
    """An edit under tasks/chomsky/ or tasks/formal_languages/ must not keep serving stale cached rows."""
    import shutil

    from hf_statetrack.data.registration import PACKAGE, generator_files, source_hash

    shutil.copytree(PACKAGE, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    assert source_hash(tmp_path) == source_hash(PACKAGE)
    nested = [p for p in generator_files(tmp_path) if len(p.relative_to(tmp_path).parts) > 2]
    assert {p.parent.name for p in nested} >= {"chomsky", "formal_languages"}
    before = source_hash(tmp_path)
    source_hash.cache_clear()
    with nested[0].open("a") as f:
        f.write("\n# an edit\n")
    assert source_hash(tmp_path) != before


GENERATE_AND_LIST_MODULES = """
import sys
import hf_statetrack

for name in ("cups_S3", "S3", "bounded_dyck", "boxes", "programs"):
    hf_statetrack.load_dataset(name, train_length=4, num_train=4, num_test=2, cache_dir=sys.argv[1])
print("\\n".join(m.__file__ for name, m in list(sys.modules.items())
                if name.startswith("hf_statetrack") and getattr(m, "__file__", None)))
"""


def test_every_module_that_runs_while_rows_are_generated_is_in_the_cache_key(tmp_path):
    """text/render.py writes the text and target columns but was not hashed, so an edit to it served stale rows.
    Generate rows of text tasks and others in a fresh process: every package module loaded is in the key."""
    from hf_statetrack.data.registration import PACKAGE, generator_files

    run = subprocess.run([sys.executable, "-c", GENERATE_AND_LIST_MODULES, str(tmp_path)], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "HF_DATASETS_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = {Path(f).resolve().relative_to(PACKAGE) for f in run.stdout.split()}
    assert Path("text/render.py") in loaded
    assert loaded <= {f.relative_to(PACKAGE) for f in generator_files()}

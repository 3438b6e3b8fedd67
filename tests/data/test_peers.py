"""source="sarrof" / "group_theory_collection": the peers' files, written here by hand in their layouts."""

import itertools
from pathlib import Path

import datasets
import numpy as np
import pytest

from hf_statetrack import StateTrackError, get_task, load_dataset
from hf_statetrack.tasks import IGNORE
from hf_statetrack.tasks.word_problem import running_products_reference

# Tomita 4 (no 000): each string with its target as the peer writes it, two bits per symbol (may 0 / may 1 follow)
TOMITA4 = {
    "train": [("1", "11"), ("10", "1111"), ("1001", "11110111"), ("0110", "11111111"), ("00", "1101")],
    "bin0": [("01", "1111"), ("100", "111101")],
    "bin1": [("1101", "11111111"), ("0010", "11011111")],
    "bin2": [("11", "1111")],
}


def write_sarrof(root: Path, folder: str, files: dict) -> Path:
    """generated_ds/<folder>/{train,val}_{src,tgt}*.txt, one string (target) per line."""
    language = root / "generated_ds" / folder
    language.mkdir(parents=True)
    for part, pairs in files.items():
        stem = "train_{}.txt" if part == "train" else f"val_{{}}_{part}.txt"
        (language / stem.format("src")).write_text("".join(f"{s}\n" for s, _ in pairs))
        (language / stem.format("tgt")).write_text("".join(f"{t}\n" for _, t in pairs))
    return root / "generated_ds"


def load(name, data_dir, tmp_path, **params):
    return load_dataset(name, source="sarrof", data_dir=data_dir, cache_dir=str(tmp_path / "cache"), **params)


def strings(task, rows):
    return ["".join(task.vocab[i] for i in ids) for ids in rows["input_ids"]]


@pytest.mark.parametrize("framing", ["continuation", "sarrof"])
def test_tomita4_labels_are_our_generators(tmp_path, framing):
    ds = load("tomita4", write_sarrof(tmp_path, "Tomita-4", TOMITA4), tmp_path, label_framing=framing)
    task = get_task("tomita4", label_framing=framing)
    assert {split: ds[split].num_rows for split in ds} == {"train": 5, "validation": 2, "test": 2, "test_bin2": 1}
    for split, part in (("train", "train"), ("validation", "bin0"), ("test", "bin1"), ("test_bin2", "bin2")):
        rows = ds[split][:]
        assert strings(task, rows) == [s for s, _ in TOMITA4[part]]
        assert rows["labels"] == [[task.label_vocab.index(y) for y in task.labels_of(s)] for s, _ in TOMITA4[part]]
        assert rows["length"] == [len(s) for s, _ in TOMITA4[part]]


def test_the_peer_target_round_trips(tmp_path):
    ds = load("tomita4", write_sarrof(tmp_path, "Tomita-4", TOMITA4), tmp_path)
    peer = get_task("tomita4", label_framing="sarrof")
    published = ["".join(peer.label_vocab[i] for i in row) for row in ds["train"]["peer_target"]]
    assert published == [t for _, t in TOMITA4["train"]]
    # the peer's Tomita-4 targets are the projection of our continuation sets: theirs = ours in the sarrof framing
    theirs = load("tomita4", tmp_path / "generated_ds", tmp_path, label_framing="sarrof")
    assert theirs["train"]["labels"] == theirs["train"]["peer_target"]
    assert "rows whose published target differs from ours: 0" in theirs["train"].info.description


def test_tomita3_keeps_the_published_mistake_in_peer_target_only(tmp_path):
    """Their Tomita-3 target forbids 0 after an odd block of 1s ("01": may 0 = no) though "100" can still be
    completed; peer_target gives their line back, labels are ours, the description counts the difference."""
    data_dir = write_sarrof(tmp_path, "Tomita-3", {"train": [("1001", "01100101"), ("11", "1111")]})
    ds = load("tomita3", data_dir, tmp_path, label_framing="sarrof")
    published = get_task("tomita3", label_framing="sarrof_as_published")
    assert ["".join(published.label_vocab[i] for i in row) for row in ds["train"]["peer_target"]] == \
        ["01100101", "1111"]
    ours = get_task("tomita3", label_framing="sarrof")
    assert ["".join(ours.label_vocab[i] for i in row) for row in ds["train"]["labels"]] == ["11101111", "1111"]
    assert "rows whose published target differs from ours: 1" in ds["train"].info.description


def test_strings_outside_the_language_are_refused_with_a_count(tmp_path):
    files = {**TOMITA4, "train": [("1", "11"), ("1000", "11110101"), ("0001", "11010101"), ("2", "11")]}
    with pytest.raises(StateTrackError, match=r"^3 of 9 strings are not in tomita4 \(first: train_src.txt line 2: "
                                              r"'1000'\); data_dir must hold tomita4's own folder \(Tomita-4\)$"):
        load("tomita4", write_sarrof(tmp_path, "Tomita-4", files), tmp_path)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.arrow"))


def test_a_target_line_of_the_wrong_width_is_refused(tmp_path):
    files = {"train": [("10", "111"), ("1", "11")]}
    with pytest.raises(StateTrackError, match=r"^1 of 2 target lines do not hold one 2-character chunk per symbol"):
        load("tomita4", write_sarrof(tmp_path, "Tomita-4", files), tmp_path)


def test_unpaired_files_are_left_out_and_named(tmp_path):
    data_dir = write_sarrof(tmp_path, "Parity", {"train": [("11", "01"), ("101", "100")]})
    (data_dir / "Parity" / "val_tgt_bin2.txt").write_text("1\n")
    ds = load("parity", data_dir / "Parity", tmp_path)  # a language's own folder works as data_dir too
    assert ds["validation"].num_rows == ds["test"].num_rows == 0 and ds["train"].num_rows == 2
    assert "left out (no partner file): val_tgt_bin2.txt" in ds["train"].info.description


def test_a_second_load_reads_the_cache_and_an_edit_rebuilds(tmp_path):
    data_dir = write_sarrof(tmp_path, "Tomita-4", TOMITA4)
    load("tomita4", data_dir, tmp_path)
    saved = list((tmp_path / "cache" / "hf_statetrack_peers").iterdir())
    assert len(saved) == 1 and saved[0].name.startswith("sarrof-tomita4-")
    assert load("tomita4", data_dir, tmp_path)["train"].cache_files[0]["filename"].startswith(str(saved[0]))
    (data_dir / "Tomita-4" / "train_src.txt").write_text("1\n10\n1001\n0110\n01\n")
    (data_dir / "Tomita-4" / "train_tgt.txt").write_text("11\n1111\n11110111\n11111111\n1111\n")
    assert strings(get_task("tomita4"), load("tomita4", data_dir, tmp_path)["train"][:])[-1] == "01"
    assert len(list((tmp_path / "cache" / "hf_statetrack_peers").iterdir())) == 2


@pytest.mark.parametrize("setup, params, match", [
    ("missing", {}, r"^data_dir \S+/nowhere is not a folder; source='sarrof' reads generated_ds/<Language>/"),
    ("empty", {}, r"^data_dir \S+ does not hold the peer's tomita4 files: expected \S+/Tomita-4/train_src.txt and "
                  r"train_tgt.txt \(layout: generated_ds/<Language>/"),
    ("wrong_language", {}, r"does not hold the peer's tomita4 files"),
    ("empty", {"source": "chomsky"}, r"^unknown source 'chomsky'; sources: 'sarrof', 'group_theory_collection'$"),
    ("empty", {"num_train": 100}, r"^source='sarrof' reads the peer's rows as published: drop num_train"),
    ("empty", {"source": None}, r"^data_dir= reads a peer's files and needs source="),
    ("empty", {"name": "S5"}, r"^source='sarrof' has no files for task S5"),
])
def test_bad_data_dir_fails_in_one_line_before_any_work(tmp_path, setup, params, match):
    data_dir = tmp_path / "nowhere"
    if setup != "missing":
        data_dir.mkdir()
    if setup == "wrong_language":
        write_sarrof(data_dir, "Parity", {"train": [("1", "0")]})
    kwargs = {"name": "tomita4", "source": "sarrof", "data_dir": str(data_dir), "cache_dir": str(tmp_path / "c")}
    with pytest.raises(StateTrackError, match=match):
        load_dataset(**{**kwargs, **params})
    assert not (tmp_path / "c").exists()


# ----------------------------------------------------------------- Group-Theory-Collection
def their_product(perms, word):
    """The collection's rule, from its card and generator: fold result = result[p] over the word."""
    result = np.arange(perms.shape[1])
    for i in word:
        result = result[perms[i]]
    return result


def write_collection(root: Path, group: str, perms: np.ndarray, words: dict, wrong_target: int | None = None):
    """<root>/data/<group>/ as DatasetDict.save_to_disk writes it: input_sequence "3 0 5", target "4"."""
    index = {tuple(p): i for i, p in enumerate(perms.tolist())}
    splits = {}
    for split, rows in words.items():
        targets = [index[tuple(their_product(perms, w).tolist())] for w in rows]
        if wrong_target is not None and split == "train":
            targets[wrong_target] = (targets[wrong_target] + 1) % len(perms)
        splits[split] = datasets.Dataset.from_dict({
            "input_sequence": [" ".join(map(str, w)) for w in rows], "target": [str(t) for t in targets],
            "sequence_length": [len(w) for w in rows], "group_degree": [perms.shape[1]] * len(rows),
            "group_order": [len(perms)] * len(rows), "group_type": ["test"] * len(rows)})
    datasets.DatasetDict(splits).save_to_disk(str(root / "data" / group))
    return root


def random_words(order, seed, rows=6):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, order, size=rng.integers(3, 12)).tolist() for _ in range(rows)]


S3 = np.array(list(itertools.permutations(range(3))))  # their S_n ids: itertools order
Z5 = np.array([[(i + k) % 5 for i in range(5)] for k in range(5)])  # their C_n ids: rotation by k


@pytest.mark.parametrize("name, folder, perms, label_mode", [
    ("S3", "s3", S3, "all"), ("S3", "s3", S3, "final"), ("Z5", "c5", Z5, "all")])
def test_group_theory_collection_loads_with_our_running_products(tmp_path, name, folder, perms, label_mode):
    words = {"train": random_words(len(perms), 0), "test": random_words(len(perms), 1, rows=3)}
    root = write_collection(tmp_path, folder, perms, words)
    ds = load_dataset(name, source="group_theory_collection", data_dir=str(root), cache_dir=str(tmp_path / "c"),
                      label_mode=label_mode)
    task = get_task(name)
    assert {s: ds[s].num_rows for s in ds} == {"train": 6, "validation": 0, "test": 3}

    def ours(p):  # their array -> our element: a rotation by k is Z5's k; an S_n array is the inverse of ours
        return int(p[0]) if name == "Z5" else task.group.index("".join(str(i + 1) for i in np.argsort(p)))

    for split in ("train", "test"):
        for row, word in zip(ds[split], words[split]):
            assert row["input_ids"] == [ours(perms[i]) for i in word] and row["length"] == len(word)
            running = running_products_reference(task.group, row["input_ids"])
            assert row["labels"] == (running if label_mode == "all" else [IGNORE] * (len(word) - 1) + running[-1:])
            target = their_product(perms, word)  # their target is our product: the card's convention, every row
            assert running[-1] == ours(target)
            assert row["peer_target"] == int(np.flatnonzero((perms == target).all(axis=1))[0])


def test_group_theory_collection_refuses_a_target_that_is_not_the_product(tmp_path):
    root = write_collection(tmp_path, "s3", S3, {"train": random_words(6, 0), "test": random_words(6, 1)},
                            wrong_target=2)
    with pytest.raises(StateTrackError, match=r"^1 of 12 rows of s3 do not agree with our S3 .*\(first: train row 2\)"):
        load_dataset("S3", source="group_theory_collection", data_dir=str(root / "data" / "s3"),
                     cache_dir=str(tmp_path / "c"))


@pytest.mark.parametrize("name, match", [
    ("S4", r"^data_dir \S+ does not hold S4's folder: expected \S+/data/s4/dataset_dict.json \(layout: <group>/"),
    ("S4 in s3", r"^s3/train holds a group of order 6, not 24: pick the task of that group$"),
    ("tomita4", r"^source='group_theory_collection' reads word problems of Sn, An and Zn"),
])
def test_group_theory_collection_bad_layout_fails_in_one_line(tmp_path, name, match):
    root = write_collection(tmp_path, "s3", S3, {"train": random_words(6, 0)})
    data_dir = root / "data" / "s3" if name.endswith("s3") else root  # S3's ids are S4's first six elements
    with pytest.raises(StateTrackError, match=match):
        load_dataset(name.split()[0], source="group_theory_collection", data_dir=str(data_dir),
                     cache_dir=str(tmp_path / "c"))

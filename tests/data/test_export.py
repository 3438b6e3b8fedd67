"""The Hub folder written by `write_hub_folder` loads with plain `datasets` and holds hf_statetrack's rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pytest
import yaml

import hf_statetrack
from hf_statetrack import StateTrackError
from hf_statetrack.data import GenerationParams, export

REPO = Path(__file__).resolve().parents[2]
REQUESTS = {  # config -> load_dataset keywords; Z60-len5 has no validation split
    "S3-len4": dict(name="S3", train_length=4, num_train=300, num_test=100, num_validation=20),
    "Z60-len5": dict(name="Z60", train_length=5, num_train=200, num_test=50, num_validation=0, seed=3),
}
CONFIGS = {config: GenerationParams.resolve(**kw) for config, kw in REQUESTS.items()}

# Runs in a fresh interpreter: plain datasets, no hf_statetrack import, no network.
READ_BACK = """
import json, sys
import datasets
folder, out = sys.argv[1], sys.argv[2]
result = {}
for config in sys.argv[3:]:
    ds = datasets.load_dataset(folder, config)
    result[config] = {split: {"features": d.features.to_dict(), "rows": d.to_list()} for split, d in ds.items()}
assert not [m for m in sys.modules if m.startswith("hf_statetrack")], "hf_statetrack was imported"
json.dump(result, open(out, "w"))
"""


def clean_env(tmp: Path) -> dict:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp), "HF_HOME": str(tmp / "hf"),
            "HF_HUB_OFFLINE": "1", "HF_DATASETS_CACHE": str(tmp / "datasets-cache"),
            "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return export.write_hub_folder(tmp_path_factory.mktemp("hub") / "suite", CONFIGS, pretty_name="Test suite")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    cache = str(tmp_path_factory.mktemp("ref-cache"))
    return {config: hf_statetrack.load_dataset(cache_dir=cache, **kw) for config, kw in REQUESTS.items()}


def front_matter(folder: Path) -> dict:
    _, header, _ = (folder / "README.md").read_text().split("---\n", 2)
    return yaml.safe_load(header)


def test_plain_datasets_reads_the_same_rows(folder, reference, tmp_path):
    out = tmp_path / "rows.json"
    subprocess.run([sys.executable, "-c", READ_BACK, str(folder), str(out), *REQUESTS],
                   env=clean_env(tmp_path), cwd=tmp_path, check=True, capture_output=True, timeout=300)
    loaded = json.loads(out.read_text())
    for config, expected in reference.items():
        assert set(loaded[config]) == {split for split, ds in expected.items() if len(ds)}, config
        for split, got in loaded[config].items():
            assert got["rows"] == expected[split].to_list(), f"{config}/{split}"
            assert got["features"] == expected[split].features.to_dict(), f"{config}/{split}"


def test_card_front_matter_lists_configs_and_files(folder):
    meta = front_matter(folder)
    assert meta["license"] == "apache-2.0" and meta["pretty_name"] == "Test suite"
    assert meta["task_categories"] and "state-tracking" in meta["tags"]
    assert [c["config_name"] for c in meta["configs"]] == list(REQUESTS)
    for config in meta["configs"]:
        for entry in config["data_files"]:
            assert list(folder.glob(entry["path"])), entry
    z60_splits = [e["split"] for e in meta["configs"][1]["data_files"]]
    assert z60_splits == ["train", "test"]


def test_card_body_documents_tasks_parameters_and_citation(folder, reference):
    body = (folder / "README.md").read_text()
    dropped = {}
    for config, params in CONFIGS.items():
        assert params.task().describe() in body
        dropped[config] = params.num_test - len(reference[config]["test"])
        row = next(line for line in body.splitlines() if line.startswith(f"| {config} |"))
        assert row.endswith(f"| {dropped[config]} |"), row
    assert dropped["S3-len4"] > 0, "S3 has only 6**4 words of length 4: some test rows must be dropped"
    assert 'load_dataset("path/to/this/folder-or/hub-repo-id", "S3-len4")' in body
    assert 'hf_statetrack.load_dataset("S3", train_length=4' in body
    assert "2404.08819" in body and "@inproceedings{merrill2024illusion" in body


def test_test_split_all_seen_in_train_is_left_out(tmp_path):
    # Z2 has 8 words of length 3; 100 train rows contain them all, so every test row is dropped.
    configs = {"Z2-len3": GenerationParams.resolve("Z2", train_length=3, num_train=100, num_test=10)}
    out = export.write_hub_folder(tmp_path / "suite", configs, pretty_name="x")
    assert [e["split"] for e in front_matter(out)["configs"][0]["data_files"]] == ["train", "validation"]
    assert "| 100 / 10 / 0 |" in (out / "README.md").read_text()


def small_config() -> dict:
    return {"S3-len4": GenerationParams.resolve("S3", train_length=4, num_train=40, num_test=10)}


def test_existing_folder_needs_overwrite(tmp_path):
    out = tmp_path / "suite"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    with pytest.raises(StateTrackError, match="--overwrite"):
        export.write_hub_folder(out, small_config(), pretty_name="x")
    assert (out / "stale.txt").exists()
    export.write_hub_folder(out, small_config(), pretty_name="x", overwrite=True)
    assert not (out / "stale.txt").exists() and (out / "README.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["suite"]


@pytest.mark.parametrize("existing", [False, True], ids=["new", "overwrite"])
def test_failure_midway_leaves_nothing_half_written(tmp_path, monkeypatch, existing):
    out = tmp_path / "suite"
    if existing:
        out.mkdir()
        (out / "stale.txt").write_text("old")

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "write_card", fail)  # after the parquet files are written
    with pytest.raises(RuntimeError, match="disk full"):
        export.write_hub_folder(out, small_config(), pretty_name="x", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["suite"] if existing else [])
    if existing:
        assert [p.name for p in out.iterdir()] == ["stale.txt"]


@pytest.mark.parametrize("configs, match", [
    ({}, "no configs"),
    ({"S3/len4": small_config()["S3-len4"]}, "plain folder name"),
    ({"S3-len4": {"train_length": 4}}, "GenerationParams"),
    ({"S3": GenerationParams.resolve("S3", train_length=4, num_train=0, num_test=0)}, "has no rows"),
])
def test_bad_requests_fail_before_writing(tmp_path, configs, match):
    with pytest.raises(StateTrackError, match=match):
        export.write_hub_folder(tmp_path / "suite", configs, pretty_name="x")
    assert list(tmp_path.iterdir()) == []


def test_illusion_of_state_script(tmp_path):
    out = tmp_path / "ios"
    cmd = [sys.executable, str(REPO / "dataset_scripts" / "illusion_of_state.py"), "--out", str(out),
           "--groups", "A5", "S5", "--lengths", "2", "6", "--num-examples", "500"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    meta = front_matter(out)
    assert [c["config_name"] for c in meta["configs"]] == ["A5-len2", "A5-len6", "S5-len2", "S5-len6"]
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "--overwrite" in again.stderr and "Traceback" not in again.stderr


def test_formal_languages_script_writes_the_sarrof_bins(tmp_path):
    out = tmp_path / "fl"
    cmd = [sys.executable, str(REPO / "dataset_scripts" / "formal_languages.py"), "--out", str(out),
           "--languages", "tomita3", "dyck1", "--num-train", "200", "--num-test", "50", "--num-validation", "20"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    assert [c["config_name"] for c in front_matter(out)["configs"]] == ["tomita3", "dyck1"]
    ds = datasets.load_dataset(str(out), "dyck1", cache_dir=str(tmp_path / "cache"))
    assert max(ds["train"]["length"]) <= 50 and 51 <= min(ds["test"]["length"]) <= max(ds["test"]["length"]) <= 100
    assert all(length % 2 == 0 for length in ds["test"]["length"])  # Dyck-1 has only even lengths


def test_text_export_adds_the_text_format_to_every_row(tmp_path):
    out = export.write_hub_folder(tmp_path / "suite", small_config(), pretty_name="x", text=True)
    ds = datasets.load_dataset(str(out), "S3-len4")  # parquet read back by plain datasets
    expected = hf_statetrack.load_dataset("S3", train_length=4, num_train=40, num_test=10)
    view = hf_statetrack.text_view(expected, hf_statetrack.get_task("S3"))
    for split in ("train", "test"):
        assert ds[split]["input_ids"] == expected[split]["input_ids"]  # token columns kept
        for column in ("text", "prompt", "target", "answer_starts", "answer_ends", "state_ends", "state_labels"):
            assert ds[split][column] == view[split][column], f"{split}/{column}"
    assert ds["train"][0]["text"].count(" = ") == 1  # word problems: the final state only
    card = (out / "README.md").read_text()
    assert "text" in front_matter(out)["tags"] and "`prompt` and `target`" in card

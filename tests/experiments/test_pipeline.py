"""End to end through the `statetrack` CLI: train, outputs, reload, eval, resume, tensorboard, DDP."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from transformers import AutoModelForTokenClassification

from hf_statetrack import StateTrackError
from hf_statetrack.cli import main
from hf_statetrack.data import load_dataset
from hf_statetrack.evaluation.dispatch import evaluate_model
from hf_statetrack.experiments.pipeline import extra_test_set
from hf_statetrack.models import list_presets
from hf_statetrack.stats.scoring import mean_over_lengths
from tests.models.tiny import TINY as TINY_SIZES

S3_LSTM = {
    "task": {"name": "S3", "train_length": [1, 10], "num_train": 3000, "num_test": 300, "num_validation": 200},
    "model": {"preset": "lstm", "num_layers": 1, "hidden_size": 32},
    "training": {"num_train_epochs": 8, "learning_rate": 1e-2, "per_device_train_batch_size": 32,
                 "disable_tqdm": True},
    "evaluation": {"target_accuracy": 1.0},
}


def write_config(tmp_path: Path, config: dict, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), **config}))
    return path


@pytest.fixture(scope="module")
def trained_s3(tmp_path_factory):
    """A 1-layer LSTM trained on the S3 word problem (a few seconds on 2 cores)."""
    tmp_path = tmp_path_factory.mktemp("s3")
    assert main(["train", str(write_config(tmp_path, S3_LSTM))]) == 0
    return tmp_path / "out"


def test_lstm_learns_s3_to_perfect_accuracy(trained_s3):
    results = json.loads((trained_s3 / "results.json").read_text())
    assert results["splits"]["test"]["sequence_accuracy"] == 1.0
    assert results["splits"]["validation"]["token_accuracy"] == 1.0
    assert results["train"]["epochs"] < 8  # stopped early at the target
    assert results["settings"]["experiment"]["model"]["preset"] == "lstm" and results["versions"]["torch"]
    assert {"results.md", "accuracy_by_length.png", "config.json"} <= {p.name for p in trained_s3.iterdir()}
    assert "| test | 3-10 |" in (trained_s3 / "results.md").read_text()


def test_saved_model_reloads_and_reproduces_the_test_predictions(trained_s3):
    model = AutoModelForTokenClassification.from_pretrained(trained_s3).eval()
    test = load_dataset("S3", train_length=(1, 10), num_train=3000, num_test=300, num_validation=200)["test"]
    row = test[0]
    with torch.no_grad():
        logits = model(torch.tensor([row["input_ids"]])).logits
    assert logits.argmax(-1)[0].tolist() == row["labels"]


def test_eval_scores_a_checkpoint_at_new_lengths(trained_s3, tmp_path, capsys):
    out = tmp_path / "eval"
    argv = ["eval", "--model", str(trained_s3), "--task", "S3", "--test-length", "4,12-14", "--num-test", "100",
            "--output-dir", str(out)]
    assert main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    assert list(results["splits"]) == ["test@4", "test@12-14"]
    assert sorted(int(k) for k in results["splits"]["test@12-14"]["by_length"]) == [12, 13, 14]
    assert (out / "accuracy_by_length.png").exists() and "test@12-14" in capsys.readouterr().out


def test_eval_maps_symbols_and_refuses_a_foreign_vocabulary(trained_s3, tmp_path, capsys):
    argv = ["eval", "--model", str(trained_s3), "--test-length", "6", "--num-test", "50"]
    # A3 (the even permutations of 3 points) is written in S3's symbols, so the S3 model can be scored on it
    assert main([*argv, "--task", "A3", "--output-dir", str(tmp_path / "a3")]) == 0
    assert json.loads((tmp_path / "a3" / "results.json").read_text())["splits"]["test@6"]["token_accuracy"] == 1.0
    capsys.readouterr()
    assert main([*argv, "--task", "Z60", "--output-dir", str(tmp_path / "z60")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the checkpoint's vocabulary cannot express task Z60") and err.count("\n") == 1
    assert not (tmp_path / "z60").exists()


TINY = {
    "task": {"name": "Z2", "train_length": [1, 6], "num_train": 64, "num_test": 16, "num_validation": 16},
    "training": {"max_steps": 5, "per_device_train_batch_size": 8, "eval_strategy": "no", "disable_tqdm": True},
}


@pytest.mark.parametrize("preset", list_presets())
def test_every_preset_trains_through_the_pipeline_and_its_checkpoint_scores_the_same(tmp_path, preset):
    """Every registered preset: 5 steps through `statetrack train`, then `statetrack eval` on the saved checkpoint
    regenerates the same test rows and must reproduce the test metrics results.json reports."""
    knobs = {**TINY_SIZES[preset], "num_layers": 1}
    assert main(["train", str(write_config(tmp_path, {**TINY, "model": {"preset": preset, **knobs}}))]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["train"]["steps"] == 5
    evaluated = evaluate_model(str(tmp_path / "out"), "Z2", [(1, 6)], num_test=16, output_dir=str(tmp_path / "eval"))
    test, again = results["splits"]["test"], evaluated.splits["test@1-6"]
    assert again["num_sequences"] == test["num_sequences"] > 0
    assert again["token_accuracy"] == pytest.approx(test["token_accuracy"])
    # Delétang et al.'s score by name, in results.json and from `statetrack eval` alike
    assert again["length_mean_token_accuracy"] == pytest.approx(test["length_mean_token_accuracy"])
    assert test["length_mean_token_accuracy"] == pytest.approx(mean_over_lengths(test["by_length"]))


def test_python_dash_m_train_logs_to_tensorboard_and_resumes(tmp_path):
    config = {**TINY, "model": {"preset": "gru", "num_layers": 1, "hidden_size": 16},
              "training": {**TINY["training"], "report_to": "tensorboard", "save_strategy": "steps", "save_steps": 5,
                           "logging_steps": 1}}
    path = write_config(tmp_path, config)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-m", "hf_statetrack", "train", str(path)], env=env, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert list((tmp_path / "out" / "runs").rglob("events.out.tfevents*"))  # Trainer's default tensorboard dir
    assert (tmp_path / "out" / "checkpoint-5").is_dir()
    assert main(["train", str(path), "--set", "resume=true", "--set", "training.max_steps=8"]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["train"]["steps"] == 8


def test_bad_config_is_one_line_and_exit_2(tmp_path, capsys):
    path = write_config(tmp_path, {**TINY, "model": {"preset": "lstm", "hidden_sise": 8}})
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "hidden_sise" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_two_processes_match_one(tmp_path):
    """`accelerate launch --multi_gpu --num_processes 2` on CPU (gloo): world size 2, and with the same
    global batch the training matches one process up to float summation order."""
    config = {**S3_LSTM, "task": {**S3_LSTM["task"], "num_train": 1000},
              "training": {**S3_LSTM["training"], "num_train_epochs": 2, "eval_strategy": "no"},
              "evaluation": {}}
    path = write_config(tmp_path, config)
    single = tmp_path / "single"
    assert main(["train", str(path), "--set", f"output_dir={single}"]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
              "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "hf_statetrack",
              "train", str(path), "--set", f"output_dir={tmp_path / 'ddp'}",
              "--set", "training.per_device_train_batch_size=16"]
    run = subprocess.run(launch, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    one, two = (json.loads((tmp_path / d / "results.json").read_text()) for d in ("single", "ddp"))
    assert (one["world_size"], two["world_size"]) == (1, 2)
    assert one["train"]["steps"] == two["train"]["steps"]
    assert np.isclose(one["train"]["loss"], two["train"]["loss"], rtol=0.02)
    for split in ("validation", "test"):
        assert abs(one["splits"][split]["token_accuracy"] - two["splits"][split]["token_accuracy"]) < 0.02
        assert one["splits"][split]["num_sequences"] == two["splits"][split]["num_sequences"]


@pytest.mark.parametrize("task", ["tomita3", "bounded_dyck", "parity_check", "binary_addition", "flip_flop"])
def test_every_family_trains_and_scores_through_the_pipeline(tmp_path, task):
    config = {"task": {"name": task, "train_length": [3, 10], "test_length": [11, 16], "num_train": 64,
                       "num_test": 16, "num_validation": 0},
              "model": {"preset": "gru", "num_layers": 1, "hidden_size": 16},
              "training": {"max_steps": 3, "per_device_train_batch_size": 16, "disable_tqdm": True},
              "evaluation": {}}
    assert main(["train", str(write_config(tmp_path, config))]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["splits"]["test"]["num_scored_tokens"] > 0
    lo, hi = results["task"]["test_length"]
    assert all(lo <= int(length) <= hi for length in results["splits"]["test"]["by_length"])


def test_extra_test_lengths_of_a_distinct_run():
    task = {"name": "A5", "train_length": 2, "num_train": 100, "num_test": 20, "distinct": True}
    fresh = extra_test_set(task, 3)  # no length-2 train row can be a length-3 test row
    assert fresh.num_rows == 20 and set(fresh["length"]) == {3}
    with pytest.raises(StateTrackError, match="includes the distinct train length 2"):
        extra_test_set(task, "1-4")

"""The natural-text tasks through every pretrained-LM path on the tiny checkpoints: `statetrack eval` (generate
and choice), probes at the end of each operation, fine-tuning, and Hub export with the text format."""

import json

import datasets
import numpy as np
import pytest
import yaml

import hf_statetrack
from hf_statetrack.cli import main
from hf_statetrack.data import export
from hf_statetrack.data.params import GenerationParams
from hf_statetrack.evaluation.dispatch import evaluate_model
from hf_statetrack.experiments.config import load_config
from hf_statetrack.experiments.run import run_experiment
from hf_statetrack.probing import run_probe
from hf_statetrack.probing.features import text_rows
from hf_statetrack.runtime.checkpoints import load_tokenizer

pytest.importorskip("chess")
pytestmark = pytest.mark.usefixtures("one_thread")

SMALL = {"cups_S3": {}, "programs": {"num_variables": 2, "modulus": 5}, "chess_pieces": {},
         "boxes": {"num_boxes": 3, "num_objects": 6, "max_per_box": 2, "expected_per_box": 1}}


@pytest.mark.parametrize("mode", ["generate", "choice"])
@pytest.mark.parametrize("name", list(SMALL))
def test_incontext_eval_scores_every_family(llama_path, tmp_path, name, mode):
    out = tmp_path / "out"
    results = evaluate_model(str(llama_path), name, [2, 4], shots=2, mode=mode, num_test=8, task_params=SMALL[name],
                             output_dir=str(out), log_samples=True)
    task = hf_statetrack.get_task(name, **SMALL[name])
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert list(results.splits) == ["test@2", "test@4"] and len(samples) == 16
    assert all(s["target"] in task.label_vocab and s["prompt"].count("\n") == 2 for s in samples)
    if mode == "choice":  # the candidates are the exact label space
        assert results.settings["candidates"] == len(task.label_vocab)
        assert all(s["choice"] in task.label_vocab for s in samples)
    for name, split in results.splits.items():  # the reported accuracy is the samples' exact matches
        correct = [s["correct"] for s in samples if s["split"] == name]
        assert split["num_sequences"] == len(correct) == 8 and split["sequence_accuracy"] == sum(correct) / 8


def test_cli_eval_takes_task_parameters(llama_path, tmp_path, capsys):
    argv = ["eval", "--model", str(llama_path), "--task", "cups_S3", "--param", "answer=arrangement",
            "--test-length", "3", "--num-test", "4", "--shots", "1", "--mode", "choice", "--output-dir",
            str(tmp_path / "out")]
    assert main(argv) == 0
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["task"]["task_params"]["answer"] == "arrangement" and saved["settings"]["candidates"] == 6


@pytest.mark.parametrize("name", list(SMALL))
def test_probe_positions_end_each_operation(llama_path, name):
    task, tokenizer = hf_statetrack.get_task(name, **SMALL[name]), load_tokenizer(str(llama_path))
    split = hf_statetrack.load_dataset(name, train_length=(2, 5), num_train=0, num_test=10, num_validation=0,
                                       **SMALL[name])["test"]
    written = hf_statetrack.text_view(split, task)
    rows = text_rows(split, task, tokenizer, "final")
    for row, text, length in zip(rows, written, split["length"]):
        assert len(row["positions"]) == len(row["classes"]) == length  # one state per operation
        for pos, end in zip(row["positions"], text["state_ends"]):
            assert tokenizer.decode(row["input_ids"][:pos + 1], skip_special_tokens=True) == text["text"][:end]
            assert text["text"][:end].endswith((".", ";")) or name == "chess_pieces"


def test_probe_runs_on_a_text_task(llama_path, tmp_path):
    results = run_probe(str(llama_path), "programs", train_length=(2, 5), num_train=30, num_test=10, epochs=2,
                        task_params=SMALL["programs"], controls=("shuffled",), output_dir=str(tmp_path / "out"))
    data = hf_statetrack.load_dataset("programs", train_length=(2, 5), num_train=30, num_test=10, num_validation=0,
                                      **SMALL["programs"])
    assert results.settings["num_features"] == {s: sum(data[s]["length"]) for s in ("train", "test")}
    assert results.probe["num_classes"] == 5 and len(results.probe["accuracy"]["model"]) == 3


def test_fine_tuning_on_a_text_task(llama_path, tmp_path):
    config = tmp_path / "cfg.yaml"
    config.write_text(yaml.safe_dump({
        "output_dir": str(tmp_path / "out"), "model": {"pretrained": str(llama_path)},
        "task": {"name": "boxes", "train_length": [1, 3], "num_train": 64, "num_test": 16, "num_validation": 16,
                 **SMALL["boxes"]},
        "training": {"max_steps": 4, "per_device_train_batch_size": 16, "eval_strategy": "no", "disable_tqdm": True},
    }))
    run_experiment(load_config(config))
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert {"validation", "test"} <= set(results["splits"]) and results["train"]["steps"] == 4
    assert 0 < results["splits"]["test"]["num_sequences"] <= 16  # test rows seen in train are dropped


def test_hub_export_with_text_matches_text_view(tmp_path):
    configs = {"programs": GenerationParams.resolve("programs", train_length=(2, 4), num_train=40, num_test=10,
                                                    **SMALL["programs"])}
    out = export.write_hub_folder(tmp_path / "suite", configs, pretty_name="x", text=True)
    ds = datasets.load_dataset(str(out), "programs", cache_dir=str(tmp_path / "cache"))
    expected = hf_statetrack.load_dataset("programs", train_length=(2, 4), num_train=40, num_test=10,
                                          **SMALL["programs"])
    view = hf_statetrack.text_view(expected, hf_statetrack.get_task("programs", **SMALL["programs"]))
    for column in ("input_ids", "labels", "text", "target", "state_ends"):
        assert ds["test"][column] == (expected if column in ("input_ids", "labels") else view)["test"][column]
    assert all(np.char.find(ds["train"]["text"], " assert ") > 0)

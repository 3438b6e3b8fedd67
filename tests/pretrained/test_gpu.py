"""The GPU paths of the pretrained-LM commands (skipped on CPU-only machines): bf16 loading, in-context
evaluation on the device, and fine-tuning with bf16 mixed precision on by default."""

import json

import pytest
import torch
import yaml

from hf_statetrack.evaluation.dispatch import evaluate_model
from hf_statetrack.evaluation.incontext import run as incontext_run
from hf_statetrack.experiments.config import load_config
from hf_statetrack.experiments.run import run_experiment
from hf_statetrack.runtime.checkpoints import default_dtype, load_causal_lm

pytestmark = pytest.mark.gpu


def test_causal_lms_load_in_bf16_where_the_gpu_supports_it(llama_path):
    expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    assert default_dtype() == expected and load_causal_lm(str(llama_path)).dtype == expected


@pytest.mark.parametrize("mode", ["generate", "choice"])
def test_incontext_eval_runs_on_the_gpu(mamba_path, tmp_path, mode, monkeypatch):
    loaded = []

    def recording_load(path, dtype=None):
        loaded.append(load_causal_lm(path, dtype))
        return loaded[-1]

    monkeypatch.setattr(incontext_run, "load_causal_lm", recording_load)
    results = evaluate_model(str(mamba_path), "S3", [2, 4], num_test=20, mode=mode, output_dir=str(tmp_path / "out"),
                             log_samples=True)
    assert next(loaded[0].parameters()).device.type == "cuda"  # evaluate_model moved the model to the GPU
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    for name, split in results.splits.items():
        correct = [s["correct"] for s in samples if s["split"] == name]
        assert split["num_sequences"] == len(correct) == 20 and split["sequence_accuracy"] == sum(correct) / 20


def test_finetuning_on_the_gpu_uses_bf16_mixed_precision(llama_path, tmp_path):
    config = tmp_path / "cfg.yaml"
    config.write_text(yaml.safe_dump({
        "output_dir": str(tmp_path / "out"), "model": {"pretrained": str(llama_path)},
        "task": {"name": "S3", "train_length": [2, 5], "num_train": 200, "num_test": 40},
        "training": {"max_steps": 5, "per_device_train_batch_size": 16, "eval_strategy": "no"}}))
    cfg = load_config(config)
    assert cfg.training_arguments().bf16 == torch.cuda.is_bf16_supported()
    run_experiment(cfg)
    assert json.loads((tmp_path / "out" / "results.json").read_text())["train"]["steps"] == 5

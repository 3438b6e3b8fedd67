"""Every shipped experiment in eval_configs/ passes the schema (GPU-only configs included: nothing is loaded)."""

from pathlib import Path

import pytest

from hf_statetrack.experiments.config import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "eval_configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_eval_config_is_valid(path):
    cfg = load_config(path)
    assert cfg.output_dir.startswith("outputs/")
    task = cfg.generation_params().task()  # the task, its parameters and lengths resolve
    assert task.name == cfg.task["name"] and len(task.label_vocab) > 1
    args = cfg.training_arguments()  # every training field is one TrainingArguments accepts
    assert args.output_dir == cfg.output_dir


def test_configs_exist():
    assert {"quickstart", "a5-lstm", "finetune-pythia160m-s5"} <= {p.stem for p in CONFIGS}

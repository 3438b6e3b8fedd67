"""Every config value is checked before any data is generated: each case below was accepted silently, or
failed with a traceback after generation, before these checks."""

import pytest
import yaml

from hf_statetrack import StateTrackError
from hf_statetrack.cli import main
from hf_statetrack.experiments import grid as experiment_grid
from hf_statetrack.experiments import pipeline
from hf_statetrack.experiments.config import from_dict, load_config
from hf_statetrack.experiments.sweep import run_sweep

BASE = {
    "output_dir": "out",
    "task": {"name": "Z2", "train_length": [1, 4], "num_train": 16, "num_test": 8},
    "model": {"preset": "lstm", "num_layers": 1, "hidden_size": 8},
    "training": {"per_device_train_batch_size": 8},
}


def with_(section: str | None, key: str, value) -> dict:
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    if section is None:
        raw[key] = value
    else:
        raw.setdefault(section, {})[key] = value
    return raw


@pytest.mark.parametrize("section,key,value,message", [
    (None, "resume", "no", "resume must be true or false, got 'no'"),
    (None, "overwrite", 1, "overwrite must be true or false"),
    (None, "output_dir", None, "output_dir must be a folder path"),
    (None, "evaluation", [0.9], "evaluation must be a mapping"),
    ("evaluation", "threshold", True, "evaluation.threshold must be a number, got True"),
    ("evaluation", "test_lengths", 12, "evaluation.test_lengths must be a list"),
    ("evaluation", "test_lengths", [[9, 3]], "has min > max"),
    ("model", "num_layers", 0, "knob 'num_layers' must be >= 1, got 0"),
    ("model", "hidden_size", -8, "knob 'hidden_size' must be >= 1, got -8"),
    ("training", "num_train_epochs", -1, "training.num_train_epochs must be > 0"),
    ("training", "max_steps", 0, "training.max_steps must be > 0, or -1"),
    ("training", "per_device_train_batch_size", 0, "per_device_train_batch_size must be >= 1, got 0"),
    ("training", "learning_rate", "fast", "training.learning_rate must be a number, got 'fast'"),
    ("training", "disable_tqdm", "yes", "training.disable_tqdm must be true or false or null"),
    ("training", "report_to", "nosuchlogger", "report_to: unknown integration 'nosuchlogger'"),
], ids=lambda v: str(v)[:20])
def test_bad_values_are_one_line_before_any_work(section, key, value, message):
    with pytest.raises(StateTrackError, match=message):
        from_dict(with_(section, key, value))


def test_attention_heads_and_missing_integrations():
    raw = with_(None, "model", {"preset": "transformer", "num_layers": 1, "hidden_size": 16, "num_attention_heads": 0})
    with pytest.raises(StateTrackError, match="'num_attention_heads' must be >= 1"):
        from_dict(raw)
    from transformers.integrations import get_available_reporting_integrations

    missing = next(n for n in ("wandb", "comet_ml", "mlflow", "neptune") if n not in
                   get_available_reporting_integrations())
    with pytest.raises(StateTrackError, match=f"report_to: {missing} is not installed; pip install"):
        from_dict(with_("training", "report_to", missing))


def test_test_lengths_beyond_the_models_positions(tmp_path):
    """The issue's GPT-2 with n_positions 8 tested at lengths 9-12 lost its model after training."""
    raw = with_(None, "model", {"preset": "gpt2", "num_layers": 1, "hidden_size": 16, "n_positions": 8})
    raw["evaluation"] = {"test_lengths": [[9, 12]]}
    with pytest.raises(StateTrackError, match="reads at most n_positions=8 positions, but rows at length 12 have 12"):
        from_dict(raw)
    raw["model"]["n_positions"] = 12
    from_dict(raw)


def test_duplicate_yaml_keys_and_malformed_overrides(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(BASE) + "training: {learning_rate: 0.1}\n")
    with pytest.raises(StateTrackError, match="is not valid YAML at line .*key 'training' appears twice"):
        load_config(path)
    path.write_text(yaml.safe_dump(BASE))
    with pytest.raises(StateTrackError, match="--set training.learning_rate is not valid YAML"):
        load_config(path, ["training.learning_rate=[1, 2"])


def test_unwritable_output_dir_is_refused_before_data_generation(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pipeline, "task_splits", lambda cfg: pytest.fail("data generated"))
    (tmp_path / "file").write_text("")
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump({**BASE, "output_dir": str(tmp_path / "file" / "out")}))
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: output_dir") and "cannot be written" in err and err.count("\n") == 1


def test_a_sweep_validates_every_run_before_training_the_first(tmp_path, monkeypatch):
    monkeypatch.setattr(experiment_grid, "run_experiment", lambda cfg: pytest.fail("a run started"))
    path = tmp_path / "sweep.yaml"
    raw = {**BASE, "output_dir": str(tmp_path / "sweep")}
    for grid, message in [({"model.hidden_size": [8, 0]}, "'hidden_size' must be >= 1"),
                           ({"task.num_test": [8, 0]}, "task.num_test must be >= 1 for an experiment"),
                           ({"task.train_length": [[1, 4], 2]}, "split test has no rows")]:
        path.write_text(yaml.safe_dump({**raw, "sweep": grid}))
        with pytest.raises(StateTrackError, match=message):
            run_sweep(str(path))
    assert not (tmp_path / "sweep").exists()


def test_a_sparse_test_split_is_warned_once_in_one_line_before_training(tmp_path, capsys, monkeypatch):
    from hf_statetrack.experiments import checks

    monkeypatch.setattr(checks, "_WARNED", set())
    cfg = from_dict({**BASE, "output_dir": str(tmp_path / "run"), "evaluation": {"min_rows": 3}})
    pipeline.prepare_run(cfg)
    pipeline.prepare_run(from_dict({**BASE, "output_dir": str(tmp_path / "run"), "evaluation": {"min_rows": 3}}))
    err = capsys.readouterr().err
    assert err == ("warning: test (lengths 1..4): about 2.0 test rows per length (num_test 8 over 4 lengths), fewer "
                   "than evaluation.min_rows 3: accuracy is reported over bins of about 2 lengths; num_test 12 would "
                   "give every length 3 rows\n")

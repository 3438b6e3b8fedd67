import pytest

from hf_statetrack import StateTrackError
from hf_statetrack.experiments.config import apply_override, from_dict, load_config
from hf_statetrack.experiments.sweep_config import SweepConfig

BASE = {
    "output_dir": "out",
    "task": {"name": "S3", "train_length": [1, 5], "num_train": 100, "num_test": 20},
    "model": {"preset": "lstm", "num_layers": 1, "hidden_size": 16},
    "training": {"num_train_epochs": 2, "learning_rate": 1e-3},
    "evaluation": {"threshold": 0.9},
}


def with_(path: str, value):
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in BASE.items()}
    apply_override(raw, f"{path}={value}")
    return raw


def test_a_valid_config_resolves(tmp_path):
    cfg = from_dict(BASE)
    assert cfg.generation_params().train_length == (1, 5)
    args = cfg.training_arguments()
    assert args.learning_rate == 1e-3 and args.output_dir == "out" and args.seed == 0
    assert cfg.model.label() == "lstm-L1-H16"


def test_override_parses_yaml_values(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("task: {name: S3, train_length: 4, num_train: 10, num_test: 5}\nmodel: {preset: gru}\n")
    cfg = load_config(path, ["training.learning_rate=3e-4", "task.train_length=[2, 6]", "evaluation.threshold=0.5"])
    assert cfg.training["learning_rate"] == 3e-4 and cfg.task["train_length"] == [2, 6]
    assert cfg.evaluation.threshold == 0.5


@pytest.mark.parametrize("path,value,message", [
    ("bogus", "1", "unknown key 'bogus' in the experiment"),
    ("task.num_trian", "5", "unknown key 'num_trian' in task; did you mean 'num_train'"),
    ("training.learnin_rate", "0.1", "did you mean 'learning_rate'"),
    ("evaluation.treshold", "0.5", "did you mean 'threshold'"),
    ("evaluation.threshold", "1.5", "threshold must be a number in"),
    ("task.train_length", "[9, 3]", "has min > max"),
    ("task.name", "S6x", "unknown task"),
    ("training.lr_scheduler_type", "sideways", "invalid training settings"),
    ("evaluation.min_rows", "0", "evaluation.min_rows must be a whole number >= 1"),
    ("evaluation.bound", "upper", "evaluation.bound must be one of point, lower"),
    ("evaluation.bin_edges", "[9, 3]", "evaluation.bin_edges must be increasing whole lengths"),
    # issue 28: non-finite numbers passed every range check; YAML types reached code that assumed others
    ("training.learning_rate", ".inf", "training.learning_rate must be a finite number, got inf"),
    ("training.num_train_epochs", ".nan", "training.num_train_epochs must be a finite number, got nan"),
    ("evaluation.threshold", ".nan", "evaluation.threshold must be a number in"),
    ("evaluation.target_accuracy", ".nan", "evaluation.target_accuracy must be a number in"),
    ("task.name", "5", "a task name must be a string, got int 5"),
    ("task.name", "[S3]", "a task name must be a string, got list"),
    ("task.num_train", "0", "task.num_train must be >= 1 for an experiment"),
    ("task.num_test", "0", "task.num_test must be >= 1 for an experiment"),
    ("training.save_strategy", "no", "quote the word to keep it"),
])
def test_bad_config_values_name_the_problem(path, value, message):
    with pytest.raises(StateTrackError, match=message):
        from_dict(with_(path, value)).training_arguments()


def test_model_needs_a_preset_or_a_checkpoint():
    with pytest.raises(StateTrackError, match="exactly one of 'preset'"):
        from_dict({**BASE, "model": {"num_layers": 2}})


def test_bad_yaml_and_missing_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("task: {name: S3\nmodel: [\n")
    with pytest.raises(StateTrackError, match="is not valid YAML at line"):
        load_config(path)
    with pytest.raises(StateTrackError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(StateTrackError, match="--set takes KEY=VALUE"):
        apply_override({}, "novalue")


def test_sweep_expands_the_product_with_distinct_names():
    raw = {**BASE, "sweep": {"task.name": ["S3", "Z2"],
                             "model": [{"preset": "lstm", "hidden_size": 8}, {"preset": "gru", "hidden_size": 8}]}}
    points = SweepConfig.from_dict(raw).points()
    assert [p.name for p in points] == ["S3-lstm-H8", "S3-gru-H8", "Z2-lstm-H8", "Z2-gru-H8"]
    assert points[3].raw["task"]["name"] == "Z2" and points[3].raw["model"]["preset"] == "gru"
    assert BASE["task"]["name"] == "S3"  # the base config is not mutated


def test_binning_settings_are_unset_by_default_so_finished_runs_keep_their_identity():
    from hf_statetrack.experiments.rundir import identity

    cfg = from_dict(BASE)
    assert {k: cfg.to_dict()["evaluation"][k] for k in ("min_rows", "bin_edges", "bound")} == dict.fromkeys(
        ("min_rows", "bin_edges", "bound"))
    older = cfg.to_dict()
    older["evaluation"] = {k: v for k, v in older["evaluation"].items() if k not in ("min_rows", "bin_edges", "bound")}
    assert identity(older) == identity(cfg.to_dict())
    assert cfg.evaluation.binning().as_dict() == {"min_rows": 20, "bin_edges": None, "bound": "point"}
    assert identity(from_dict(with_("evaluation.min_rows", "5")).to_dict()) != identity(cfg.to_dict())


def test_a_test_range_too_wide_for_its_rows_is_warned_with_the_rows_needed():
    wide = {**BASE, "task": {**BASE["task"], "test_length": [1, 40], "num_test": 200},
            "evaluation": {"test_lengths": [[41, 50]]}}
    lines = from_dict(wide).sparse_test_warnings()
    assert lines == ["warning: test (lengths 1..40): about 5.0 test rows per length (num_test 200 over 40 lengths), "
                     "fewer than evaluation.min_rows 20: accuracy is reported over bins of about 4 lengths; "
                     "num_test 800 would give every length 20 rows"]  # test@41-50: 20 rows per length, enough
    assert from_dict({**wide, "evaluation": {"min_rows": 5}}).sparse_test_warnings() == []
    edges = from_dict({**wide, "evaluation": {"bin_edges": [3, 20]}}).sparse_test_warnings()
    assert len(edges) == 1 and "about 10.0 test rows in its narrowest bin (2 lengths)" in edges[0]
    assert "num_test 400 would fill every bin" in edges[0]
    assert from_dict({**BASE, "task": {**BASE["task"], "num_test": 100}}).sparse_test_warnings() == []  # 20 each

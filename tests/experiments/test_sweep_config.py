"""The sweep schema: every sweep file in eval_configs/ loads, and a bad sweep key fails at load in one line."""

from pathlib import Path

import pytest

from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.experiments.sweep_config import SweepConfig, load_sweep

ROOT = Path(__file__).resolve().parents[2] / "eval_configs"
SWEEPS = sorted(p for p in ROOT.rglob("*.yaml") if "sweep:" in p.read_text())
BASE = {"task": {"name": "Z2", "train_length": [1, 6], "num_train": 64, "num_test": 16},
        "model": {"preset": "lstm", "num_layers": 1, "hidden_size": 8}}


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_every_sweep_file_loads_as_a_sweep_config(path):
    cfg = load_sweep(str(path))
    assert cfg.sweep and "sweep" not in cfg.experiment and cfg.points()
    assert cfg.search is None or cfg.search.values


@pytest.mark.parametrize("extra, message", [
    ({"seed": 3}, "unknown key 'seed' in the experiment; did you mean 'seeds'"),
    ({"seeds": 0}, "seeds must be a whole number >= 1, got 0"),
    ({"estimate_s_per_run": "fast"}, "estimate_s_per_run must be a number of seconds > 0"),
    ({"sweep": {"task.name": "Z2"}}, "sweep: must map dotted keys to non-empty lists"),
    ({"sweep": {"variant": ["x"]}}, "sweep.variant must list mappings of dotted keys"),
    ({"search": {"min": "model.num_layers"}}, "search: needs {min: <dotted key>, values: [v1, v2, ...]}"),
    ({"search": {"min": "model.num_layers", "values": [1], "metrc": "x"}}, "unknown key 'metrc' in search"),
    ({"search": {"min": "model.num_layers", "values": [1], "threshold": 2}}, "search.threshold must be a number"),
    ({"report": "ilusion_of_state"}, "unknown report 'ilusion_of_state'; did you mean 'illusion_of_state'"),
], ids=["unknown", "seeds", "estimate", "sweep", "variant", "search", "search_key", "threshold", "report"])
def test_bad_sweep_settings_fail_at_load_in_one_line(extra, message):
    with pytest.raises(StateTrackError, match=message.replace("[", r"\[").replace("{", r"\{")):
        SweepConfig.from_dict({**BASE, **extra})


def test_the_search_infers_its_length_key_once_and_every_field_has_help():
    cfg = SweepConfig.from_dict({**BASE, "sweep": {"task.train_length": [2, 4]},
                                 "search": {"min": "model.num_layers", "values": [1, 2]}})
    assert cfg.search.by == "task.train_length" and cfg.seed_values() == [0] and cfg.seed_values(2, 3) == [0, 1]
    from dataclasses import fields

    from hf_statetrack.experiments.sweep_config import SearchSpec
    assert all(f.metadata.get("help") for cls in (SweepConfig, SearchSpec) for f in fields(cls))

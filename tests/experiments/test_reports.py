"""Reports read what they say about a model off its preset's facts, not off lists of names."""

from hf_statetrack.experiments.reproductions.illusion_of_state import recurrent
from hf_statetrack.experiments.reproductions.negative_eigenvalues import negative_eigenvalues
from hf_statetrack.reporting.results import Results

MODELS = [  # (model section as results.json stores it, the transition range the report must print)
    ({"preset": "mamba", "num_layers": 1}, "[0, 1]"),
    ({"preset": "mamba_negeig", "num_layers": 1}, "[-1, 1]"),
    ({"preset": "deltanet", "allow_negative_eigenvalues": False}, "[0, 1]"),
    ({"preset": "deltanet"}, "[-1, 1]"),
    ({"preset": "gated_deltanet"}, "[-1, 1]"),  # defaults to beta in (0, 2): reported as [0, 1] before
    ({"preset": "gated_deltanet", "allow_negative_eigenvalues": False}, "[0, 1]"),
    ({"preset": "deltaproduct", "num_householder": 2}, "[-1, 1]"),  # the same
    ({"preset": "lstm"}, "-"),
    ({"architecture": "rwkv"}, "?"),
]


def fake_run(model: dict) -> Results:
    section = {"preset": None, "architecture": None, "pretrained": None, **model}
    return Results(kind="train", title="t", description="d", task={"name": "parity_check"}, model="m", seed=0,
                   splits={"test": {"sequence_accuracy": 1.0}}, settings={"experiment": {"model": section}})


def test_negative_eigenvalues_report_reads_the_range_off_the_preset_and_its_config(tmp_path):
    summary = {str(i): [fake_run(model)] for i, (model, _) in enumerate(MODELS)}
    rows = [line for line in negative_eigenvalues(tmp_path, summary, {}).splitlines() if "| parity_check |" in line]
    got = [(row.split("|")[2].strip(), row.split("|")[3].strip()) for row in rows]
    assert got == [(model.get("preset") or model["architecture"], expected) for model, expected in MODELS]
    own = {"module": "my_pkg.models:MyNet", "num_layers": 1}  # named by its class; no preset facts to read
    rows = negative_eigenvalues(tmp_path, {"own": [fake_run(own)]}, {}).splitlines()
    assert "| parity_check | MyNet | ? |" in "\n".join(rows)


def test_illusion_report_expects_one_layer_of_recurrent_presets_only():
    assert [recurrent(name) for name in ("lstm", "ids4", "mamba", "transformer", "rwkv", "?")] == [
        True, True, False, False, False, False]

"""The Sarrof reproduction configs follow the paper's protocol, and the CPU file differs from it by one named cut."""

import copy

import pytest

from hf_statetrack.cli import main
from hf_statetrack.experiments import reproduce
from hf_statetrack.experiments.sweep import load_sweep
from hf_statetrack.experiments.sweep_config import SweepConfig

SIZES = {"tomita1": 1000, "tomita2": 1000, "anbn": 1000, "anbncn": 1000, "anbncndn": 1000, "aa_star": 250,
         "aaaa_star": 125, "abab_star": 125}  # Sarrof et al.'s training-set sizes; 10,000 for the others
NOT_FORMAL = ("bounded_dyck", "flip_flop")


def config(scale: str) -> SweepConfig:
    return load_sweep(str(reproduce.config_path("sarrof_formal_languages", scale)))


@pytest.mark.parametrize("scale", reproduce.SCALES)
def test_every_language_runs_at_the_papers_protocol(scale):
    points = config(scale).points()
    assert points
    for point in points:
        task, raw = point.raw["task"], point.raw
        assert raw["evaluation"]["target_accuracy"] == 1.0 and task["num_test"] == 2000
        assert raw["training"]["per_device_train_batch_size"] == 32
        if task["name"] in NOT_FORMAL:
            continue
        assert task["label_framing"] == "sarrof"
        assert task["num_train"] == SIZES.get(task["name"], 10000)
        assert task.get("nested", False) == task["name"].startswith("shuffle")
    swept = config(scale).sweep
    assert swept["training.learning_rate"] == [1e-4, 1e-3] and swept["model.hidden_size"] == [16, 64]


def test_the_cpu_file_cuts_only_the_epochs():
    paper, cpu = config("paper"), config("cpu")
    epochs = [cfg.experiment["training"]["num_train_epochs"] for cfg in (paper, cpu)]
    assert epochs[0] == 50 and epochs[1] < 50
    by_name = {v["task.name"]: v for v in paper.sweep["variant"]}
    assert all(by_name[v["task.name"]] == v for v in cpu.sweep["variant"])  # each language as in the paper file
    same_paper, same_cpu = (copy.deepcopy({**cfg.experiment, "sweep": cfg.sweep, "report": cfg.report})
                            for cfg in (paper, cpu))
    for raw in (same_paper, same_cpu):
        raw.pop("output_dir")
        raw["training"].pop("num_train_epochs")
        raw["sweep"].pop("variant")
    assert same_paper == same_cpu
    assert "ONE cut" in reproduce.config_path("sarrof_formal_languages", "cpu").read_text()


def test_the_dry_run_shows_10000_training_strings_for_parity(capsys):
    assert main(["reproduce", "sarrof_formal_languages", "--dry-run"]) == 0
    parity = [line for line in capsys.readouterr().out.splitlines() if line.startswith("parity-")]
    assert parity and all("(10000 training strings of lengths 1-50; test 2000 per bin: 1-50, 51-100)" in line
                          for line in parity)

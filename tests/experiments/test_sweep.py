"""Sweeps: seeds and their aggregation, reuse of finished runs, the minimum-depth search, variants, and the
`statetrack reproduce` front door (dry runs of every config, one paper-scale point trained with tiny sizes)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from hf_statetrack.cli import main
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.experiments import grid, reproduce
from hf_statetrack.experiments.config import from_dict, resolved
from hf_statetrack.experiments.reproductions import names
from hf_statetrack.experiments.run import run_experiment
from hf_statetrack.experiments.rundir import fingerprint, identity
from hf_statetrack.experiments.search import length_of
from hf_statetrack.experiments.sweep import load_sweep, run_sweep
from hf_statetrack.experiments.sweep_config import SweepConfig
from tests.experiments.tiny import TINY_EXPERIMENT

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = TINY_EXPERIMENT


def write(tmp_path, **extra) -> str:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), **TINY, **extra}))
    return str(path)


def test_seeds_train_every_point_and_aggregate_mean_and_std(tmp_path):
    summary = run_sweep(write(tmp_path, sweep={"task.name": ["Z2", "Z3"]}), seeds=2)
    assert list(summary) == ["Z2-lstm-L1-H8", "Z3-lstm-L1-H8"]
    runs = summary["Z2-lstm-L1-H8"]
    assert [r.seed for r in runs] == [0, 1] and runs[0].output_dir.endswith("Z2-lstm-L1-H8/seed0")
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())["Z2-lstm-L1-H8"]["test"]
    per_seed = [r.splits["test"]["token_accuracy"] for r in runs]
    assert saved["token_accuracy"]["per_seed"] == per_seed
    assert saved["token_accuracy"]["mean"] == pytest.approx(np.mean(per_seed))
    assert saved["token_accuracy"]["std"] == pytest.approx(np.std(per_seed, ddof=1))
    assert "Mean ± std over 2 seeds" in (tmp_path / "out" / "summary.md").read_text()
    for task in ("Z2", "Z3"):  # one plot per task, every seed drawn: exists and has a sane size (no pixels compared)
        png = tmp_path / "out" / f"accuracy_by_length-{task}.png"
        assert 20_000 < png.stat().st_size < 2_000_000
    assert saved["binned_max_length_at_threshold"]["per_seed"] == [
        r.splits["test"]["binned_max_length_at_threshold"] for r in runs]


OLD_KEYS = ("token_accuracy", "sequence_accuracy", "final_state_accuracy", "max_length_at_threshold",
            "num_sequences", "num_scored_tokens", "by_position")


def as_an_older_release_wrote_it(path):
    """Strip what this release adds (intervals, positions, bins) from a results.json, and the unset binning
    settings from its stored config."""
    record = json.loads(path.read_text())
    for name, m in record["splits"].items():
        by_length = {k: {key: v[key] for key in ("token_accuracy", "sequence_accuracy", "final_state_accuracy",
                                                   "count")} for k, v in m["by_length"].items()}
        record["splits"][name] = {**{k: m[k] for k in OLD_KEYS}, "by_length": by_length}
    for key in ("min_rows", "bin_edges", "bound"):
        del record["settings"]["experiment"]["evaluation"][key]
    path.write_text(json.dumps(record))


def test_finished_runs_of_an_older_release_are_reused_not_retrained(tmp_path, monkeypatch):
    path = write(tmp_path, sweep={"task.name": ["Z2"]})
    run_sweep(path)
    results = tmp_path / "out" / "Z2-lstm-L1-H8" / "seed0" / "results.json"
    as_an_older_release_wrote_it(results)
    trained = []
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: trained.append(cfg.output_dir) or run_experiment(cfg))
    summary = run_sweep(path)
    assert trained == []
    test = summary["Z2-lstm-L1-H8"][0].splits["test"]
    assert test["binning"]["filled_in"] and test["sequence_accuracy_ci"][0] <= test["sequence_accuracy"]
    assert (tmp_path / "out" / "accuracy_by_length-Z2.png").stat().st_size > 10_000


def test_a_second_run_retrains_nothing_and_a_changed_config_is_retrained(tmp_path, monkeypatch):
    path = write(tmp_path, sweep={"task.name": ["Z2"]})
    run_sweep(path)
    trained = []
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: trained.append(cfg.output_dir) or run_experiment(cfg))
    first = json.loads((tmp_path / "out" / "summary.json").read_text())
    run_sweep(path)
    assert trained == [] and json.loads((tmp_path / "out" / "summary.json").read_text()) == first
    run_sweep(path, overrides=["training.max_steps=3"])
    assert trained == [str(tmp_path / "out" / "Z2-lstm-L1-H8" / "seed0")]


def test_changing_the_threads_retrains_nothing_and_resumes_the_same_run(tmp_path, monkeypatch, capsys):
    path = write(tmp_path, sweep={"task.name": ["Z2"]})
    run_sweep(path)
    trained = []
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: trained.append(cfg.output_dir) or run_experiment(cfg))
    assert main(["sweep", path, "--set", "threads=2"]) == 0 and main(["sweep", path, "--threads", "1"]) == 0
    assert trained == [] and capsys.readouterr().out.count("(reused)") == 2
    cfg = load_sweep(path).points()[0].config(tmp_path / "out", 0)
    assert fingerprint(cfg) == fingerprint(from_dict({**cfg.to_dict(), "threads": 3}))


def test_the_same_folder_spelled_absolute_is_reused(tmp_path, monkeypatch):
    """Regression: a run's identity held its output_dir, so `--output-dir /abs/path` for the folder a relative
    output_dir had written retrained every run."""
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"output_dir": "out", **TINY, "sweep": {"task.name": ["Z2"]}}))
    monkeypatch.chdir(tmp_path)
    run_sweep(str(path))
    trained = []
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: trained.append(cfg.output_dir) or run_experiment(cfg))
    run_sweep(str(path), output_dir=str(tmp_path / "out"))
    assert trained == []


def test_overwrite_retrains_and_reports_the_fresh_runs(tmp_path, capsys):
    """Regression: the summary after `--overwrite` read no run back (every run 'unfinished', exit 2)."""
    path = write(tmp_path, sweep={"task.name": ["Z2", "Z3"]})
    run_sweep(path)
    capsys.readouterr()
    assert main(["sweep", path, "--overwrite"]) == 0
    out = capsys.readouterr().out
    assert "(reused)" not in out and "[sweep] 2/2 done, 0 failed" in out and "unfinished" not in out
    assert list(json.loads((tmp_path / "out" / "summary.json").read_text())) == ["Z2-lstm-L1-H8", "Z3-lstm-L1-H8"]


def fake_depth_runs(monkeypatch, passing_depth: dict):
    """Stand-in for training: sequence accuracy 1.0 from `passing_depth[task]` layers on, else 0.5."""
    def fake(cfg):
        from hf_statetrack.reporting.results import Results

        layers, task = cfg.model.knobs["num_layers"], cfg.task["name"]
        ok = passing_depth.get(task) is not None and layers >= passing_depth[task]
        metrics = {"token_accuracy": 1.0, "sequence_accuracy": 1.0 if ok else 0.5, "final_state_accuracy": 1.0,
                   "max_length_at_threshold": 2, "by_length": {}, "num_sequences": 4}
        Results(kind="train", title="t", description="d", task={"name": task}, model="m", seed=cfg.task["seed"],
                threshold=0.9, splits={"test": metrics}, settings={"experiment": json.loads(json.dumps(
                    resolved(cfg.to_dict()), default=str))}, num_parameters=1,
                train={"runtime_s": 0.0, "tokens_per_s": 1.0}, output_dir=cfg.output_dir,
                ).write(plot=lambda results, out: None)
    monkeypatch.setattr(grid, "run_experiment", fake)


def test_search_stops_at_the_first_passing_depth_and_records_null_when_none_passes(tmp_path, monkeypatch, capsys):
    fake_depth_runs(monkeypatch, {"S5": 2, "A5": None})
    path = write(tmp_path, sweep={"task.name": ["S5", "A5"], "task.train_length": [4, 5]},
                 search={"min": "model.num_layers", "values": [1, 2, 3]}, report="illusion_of_state")
    run_sweep(path, seeds=2)
    records = json.loads((tmp_path / "out" / "search.json").read_text())["points"]
    s5, a5 = records[0], records[2]
    assert s5["point"] == {"task.name": "S5", "task.train_length": 4} and s5["min"] == 2 and s5["tried"] == [1, 2]
    assert s5["scores"] == {"1": [0.5, 0.5], "2": [1.0, 1.0]}
    assert a5["min"] is None and a5["tried"] == [1, 2, 3]
    table = (tmp_path / "out" / "search.md").read_text()
    assert "| S5 | 2 | 2 |" in table and "| A5 | >3 | >3 |" in table
    assert (tmp_path / "out" / "min_depth_by_length.png").stat().st_size > 0
    assert not (tmp_path / "out" / "S5-lstm-L3-H8-train_length4").exists()  # never tried: depth 2 passed
    assert "[sweep] 20/20 done, 0 failed" in capsys.readouterr().out  # 24 at most; 4 left when S5 passed at 2
    report = (tmp_path / "out" / "report.md").read_text()  # the paper says one layer for recurrent models
    assert "* S5 · lstm: 4: 2, 5: 2 -> differs: needs more than one layer" in report
    assert "* A5 · lstm: 4: none, 5: none -> differs" in report


def test_the_report_reads_the_search_spec_from_search_json_and_old_files_still_read(tmp_path, monkeypatch):
    """search.json stores the search (its length key too); a file an older release wrote (a bare list of records)
    gives the same report, its spec taken from the sweep file."""
    from hf_statetrack.experiments.reproductions.illusion_of_state import illusion_of_state

    fake_depth_runs(monkeypatch, {"S5": 1})
    path = write(tmp_path, sweep={"task.name": ["S5"], "task.train_length": [4, 5]},
                 search={"min": "model.num_layers", "values": [1, 2]}, report="illusion_of_state")
    summary = run_sweep(path)
    root = tmp_path / "out"
    stored = json.loads((root / "search.json").read_text())
    assert stored["spec"]["by"] == "task.train_length"
    (root / "search.json").write_text(json.dumps(stored["points"]))
    assert illusion_of_state(root, summary, load_sweep(path)) == (root / "report.md").read_text()


def test_a_variant_that_sets_the_length_beside_the_base_length_is_searched_at_both(tmp_path, monkeypatch):
    """Regression: points that kept the base config's length had none in search.json, so search.md showed a
    'test_length None' column and the figure's sort failed on None."""
    fake_depth_runs(monkeypatch, {"Z2": 1, "Z3": None})
    path = write(tmp_path, task={**TINY["task"], "test_length": 4},
                 sweep={"task.name": ["Z2", "Z3"], "variant": [{"training.max_steps": 2},
                                                              {"task.test_length": 6}]},
                 search={"min": "model.num_layers", "values": [1, 2], "by": "task.test_length"})
    run_sweep(path)
    stored = json.loads((tmp_path / "out" / "search.json").read_text())
    assert stored["spec"] == {"min": "model.num_layers", "values": [1, 2], "split": "test",
                              "metric": "sequence_accuracy", "threshold": 0.9, "by": "task.test_length"}
    records = stored["points"]
    assert [length_of(r["point"], "task.test_length") for r in records] == [4, 6, 4, 6]
    assert [r["min"] for r in records] == [1, 1, None, None]
    table = (tmp_path / "out" / "search.md").read_text()
    assert "None" not in table and "test_length 4" in table and "test_length 6" in table
    assert (tmp_path / "out" / "min_depth_by_length.png").stat().st_size > 10_000


def test_search_of_a_swept_key_is_refused_in_one_line(tmp_path):
    with pytest.raises(StateTrackError, match="also swept"):
        run_sweep(write(tmp_path, sweep={"model.num_layers": [1, 2]}, search={"min": "model.num_layers",
                                                                            "values": [1, 2]}))


SEARCH = {"min": "model.num_layers", "values": [1, 2]}


@pytest.mark.parametrize("extra, message", [
    ({"search": {**SEARCH, "split": "tst"}},
     "search.split 'tst' is not a split of run Z2-lstm-L1-H8; did you mean 'test'"),
    ({"search": {**SEARCH, "by": "task.train_lenght"}}, "search.by 'task.train_lenght' is not a key of run"),
    ({"search": {**SEARCH, "values": [1, "two"]}}, "search.values must be numbers tried in order"),
    ({"search": SEARCH, "report": "illusion_of_stat"}, "unknown report 'illusion_of_stat'; did you mean"),
    ({"report": 5}, "a report name must be a string"),
], ids=["split", "by", "values", "report", "report_type"])
def test_settings_read_after_the_runs_are_refused_before_any_trains(tmp_path, monkeypatch, extra, message):
    """Issue 28: these failed only once every run had trained (the split, `by` and the report are read by the
    summary), while reproduce --dry-run said the config was fine."""
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: pytest.fail("a run started"))
    with pytest.raises(StateTrackError, match=re.escape(message)):
        run_sweep(write(tmp_path, **extra))
    assert not (tmp_path / "out").exists()


def test_a_sweep_without_a_model_is_one_line(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), "task": TINY["task"],
                                    "sweep": {"task.train_length": [2, 4]}}))
    with pytest.raises(StateTrackError, match="the sweep's runs have no model: section"):
        run_sweep(str(path))


def test_reproduce_dry_run_checks_the_search_settings(capsys):
    assert main(["reproduce", "illusion_of_state", "--dry-run", "--set", "search.split=tst"]) == 2
    assert "search.split 'tst' is not a split of run" in capsys.readouterr().err


def test_variants_set_settings_together_and_names_show_what_varies():
    raw = {**TINY, "output_dir": "o", "sweep": {"variant": [
        {"model": {"preset": "lstm", "hidden_size": 8}, "training.learning_rate": 1e-3},
        {"model": {"preset": "lstm", "hidden_size": 8}, "training.learning_rate": 1e-4}]}}
    points = SweepConfig.from_dict(raw).points()
    assert [p.raw["training"]["learning_rate"] for p in points] == [1e-3, 1e-4]
    assert [p.name for p in points] == ["Z2-lstm-H8-learning_rate0.001", "Z2-lstm-H8-learning_rate0.0001"]


def test_a_variant_that_replaces_the_task_section_is_refused_in_one_line():
    raw = {**TINY, "output_dir": "o", "sweep": {"variant": [{"task": {"train_length": [2, 8]}}]}}
    with pytest.raises(StateTrackError, match="task.train_length"):
        SweepConfig.from_dict(raw).points()


@pytest.mark.parametrize("name", names())
@pytest.mark.parametrize("scale", reproduce.SCALES)
def test_every_reproduction_lists_its_runs_without_training(name, scale, capsys):
    assert main(["reproduce", name, "--scale", scale, "--dry-run"]) == 0
    *runs, summary, outputs = capsys.readouterr().out.splitlines()
    assert int(re.search(r"(\d+) runs", summary).group(1)) == len(runs) > 0
    assert all(" seed " in line for line in runs) and outputs.startswith("outputs: outputs/reproduce/")


def test_reproduce_list_and_bad_names(capsys):
    assert main(["reproduce", "--list"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == names()
    assert main(["reproduce", "illusion_of_stat"]) == 2
    assert "did you mean 'illusion_of_state'" in capsys.readouterr().err


@pytest.mark.parametrize("name", names())
def test_one_paper_scale_point_trains_with_tiny_sizes(name, tmp_path):
    """The first point of each paper-scale config, exactly as configured except for its sizes."""
    raw = load_sweep(str(reproduce.config_path(name, "paper"))).points()[0].raw
    raw["task"].update(num_train=32, num_validation=8, num_test=8)
    raw["model"].update(num_layers=1, hidden_size=16)
    if "num_attention_heads" in raw["model"]:
        raw["model"].update(num_attention_heads=2, intermediate_size=32)
    raw["training"].update(max_steps=1, per_device_train_batch_size=8, warmup_steps=0, disable_tqdm=True)
    raw["output_dir"] = str(tmp_path / "run")
    results = run_experiment(from_dict(raw))
    assert results.train["steps"] == 1 and results.splits["test"]["num_sequences"] > 0


def test_a_field_added_with_a_none_default_keeps_finished_runs_the_same_run():
    """A newer release adding `architecture: null` (or `overwrite`) to the resolved config must not retrain."""
    stored = {"task": {"name": "S5"}, "model": {"preset": "lstm", "hidden_size": 8}, "resume": False}
    now = {"task": {"name": "S5"}, "model": {"preset": "lstm", "hidden_size": 8, "architecture": None},
           "resume": True, "overwrite": False}
    assert identity(stored) == identity(now)
    assert identity(stored) != identity({**now, "model": {"preset": "lstm", "hidden_size": 16}})


def test_reports_show_the_spread_over_seeds(tmp_path, monkeypatch):
    """Sarrof cells read 'mean ± std / paper'; the negative-eigenvalue table has a std column (fake runs)."""
    from hf_statetrack.experiments.grid import mean_std
    from hf_statetrack.experiments.reproductions.negative_eigenvalues import negative_eigenvalues

    assert mean_std([0.5]) == "50.0" and mean_std([0.5, 1.0]) == "75.0 ± 35.4"
    fake_depth_runs(monkeypatch, {"Z2": 1})
    summary = run_sweep(write(tmp_path, sweep={"task.name": ["Z2"]}), seeds=2)
    text = negative_eigenvalues(tmp_path, summary, {})
    assert "| mean | std | median | max | seeds |" in text and "| 0.00 | 1.00 | 1.00 | 2 |" in text


def test_a_swept_value_with_dotdot_stays_inside_the_sweep_folder(tmp_path):
    """Regression: a swept string holding `/..` put run folders outside the sweep's output_dir."""
    raw = {**TINY, "output_dir": str(tmp_path / "out"), "sweep": {"training.run_name": ["a/../../../escape", "b"]}}
    for point in SweepConfig.from_dict(raw).points():
        folder = Path(point.config(tmp_path / "out", 0).output_dir)
        assert folder.parent.parent == tmp_path / "out" and folder.name == "seed0"


def test_an_edited_sweep_never_replaces_a_finished_run(tmp_path, monkeypatch):
    """A sweep rerun with a shorter or otherwise changed config is refused before training anything; a longer
    one retrains (see above); --overwrite replaces."""
    path = write(tmp_path, sweep={"task.name": ["Z2"]})
    run_sweep(path, overrides=["training.max_steps=3"])
    trained = []
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: trained.append(cfg.output_dir) or run_experiment(cfg))
    with pytest.raises(StateTrackError, match="trained to step 3.*training.max_steps 2 would shorten it"):
        run_sweep(path)
    with pytest.raises(StateTrackError, match="differs in training.learning_rate"):
        run_sweep(path, overrides=["training.max_steps=3", "training.learning_rate=0.5"])
    assert trained == []
    run_sweep(path, overrides=["overwrite=true"])
    assert len(trained) == 1

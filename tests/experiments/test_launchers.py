"""Launchers: a failing run is recorded and the sweep goes on; a second invocation retrains only what failed;
progress lines; `local` and `ray` give the same summary and search files from the same run folders; and
`--launcher ray` without Ray installed fails in one line. The Ray tests start Ray embedded with 2 CPUs and are
skipped when Ray is not installed (``pip install 'hf-statetrack[ray]'``)."""

import json
import os
import sys

import pytest

from hf_statetrack.cli import main
from hf_statetrack.experiments import grid
from hf_statetrack.experiments.launchers import Job, LaunchOptions, Progress, run_jobs
from hf_statetrack.experiments.run import run_experiment
from hf_statetrack.experiments.sweep import run_sweep
from tests.experiments.test_sweep import write

pytestmark = pytest.mark.usefixtures("one_thread")

LSTM = {"preset": "lstm", "num_layers": 1, "hidden_size": 8}
FAILING = {"pretrained": "no_such_model_folder"}  # passes validation, raises when the run loads it
GRID = {"task.name": ["Z2", "Z3"], "model": [LSTM, {**LSTM, "hidden_size": 12}, FAILING]}
FINISHED = ["Z2-lstm-L1-H8", "Z3-lstm-L1-H8", "Z2-lstm-L1-H12", "Z3-lstm-L1-H12"]  # the YAML sorts model first
RAY = LaunchOptions(launcher="ray", cpus_per_run=1, max_parallel=2)


def count_training(monkeypatch) -> list[str]:
    trained = []
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: trained.append(cfg.output_dir) or run_experiment(cfg))
    return trained


def test_a_failing_run_is_recorded_the_others_finish_and_a_rerun_retries_only_it(tmp_path, monkeypatch, capsys):
    path = write(tmp_path, sweep={"task.name": ["Z2", "Z3"], "model": [LSTM, FAILING]})
    summary = run_sweep(path)
    assert list(summary) == ["Z2-lstm-L1-H8", "Z3-lstm-L1-H8"]
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "no checkpoint folder" in saved["Z2-no_such_model_folder"]["failed"]["seed0"]
    assert "seed 0: StateTrackError: model no_such_model_folder" in (tmp_path / "out" / "summary.md").read_text()
    out = capsys.readouterr().out
    assert "[run] Z2-lstm-L1-H8 seed 0: test sequence_accuracy " in out and "[sweep] 4/4 done, 2 failed" in out
    trained = count_training(monkeypatch)
    run_sweep(path)
    assert [p.split("/")[-2] for p in trained] == ["Z2-no_such_model_folder", "Z3-no_such_model_folder"]
    assert capsys.readouterr().out.count("(reused)") == 2


def test_the_cli_exits_with_one_error_line_when_runs_failed(tmp_path, capsys):
    path = write(tmp_path, sweep={"task.name": ["Z2"], "model": [FAILING]})
    assert main(["sweep", path]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: 1 run failed or did not finish (errors in {tmp_path / 'out'}/summary.json); run the same command "
        "again to retry them"]


def test_launcher_ray_without_ray_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as when it is not installed
    monkeypatch.delitem(sys.modules, "hf_statetrack.experiments.ray_launcher", raising=False)
    assert main(["sweep", write(tmp_path, sweep={"task.name": ["Z2"]}), "--launcher", "ray"]) == 2
    assert capsys.readouterr().err == "error: --launcher ray needs Ray: pip install 'hf-statetrack[ray]'\n"


def test_a_crashed_job_fails_its_next_run_and_an_early_stop_leaves_the_total(capsys):
    """A Ray worker that dies takes the job's first unreported run with it; a search that passed early drops
    the runs it did not need from the total."""
    crashed, passed = Job([("A", 0), ("A", 1)], work=None), Job([("B", 0), ("B", 1), ("B", 2)], work=None)
    progress = Progress([crashed, passed], ("test", "sequence_accuracy"))
    progress.report({"point": "A", "seed": 0, "metric": 1.0, "seconds": 3.0})
    progress.job_ended(crashed, "its Ray worker died")
    progress.report({"point": "B", "seed": 0, "metric": 0.5, "seconds": 1.0, "reused": True})
    progress.job_ended(passed)
    assert progress.failures == {("A", 1): "its Ray worker died"} and (progress.done, progress.total) == (3, 3)
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "[run] A seed 1: FAILED: its Ray worker died in 0 s"
    assert lines[3].startswith("[sweep] 2/5 done, 1 failed, ETA ")
    assert lines[4] == "[run] B seed 0: test sequence_accuracy 50.0% (reused) in 1 s"


@pytest.fixture(scope="module")
def embedded_ray():
    """Ray started as `--launcher ray` starts it (niceness 0, OMP_WAIT_POLICY), the CPUs this machine has."""
    ray = pytest.importorskip("ray")
    from hf_statetrack.experiments.ray_launcher import start_ray

    start_ray(None)
    yield
    ray.shutdown()


def test_ray_trials_run_at_niceness_0_with_the_threads_asked_for(embedded_ray, tmp_path, capsys):
    out = tmp_path / "worker.json"

    def record(report):  # runs in the trial's worker process (pickled by value)
        import torch

        out.write_text(json.dumps([os.nice(0), torch.get_num_threads(), os.environ.get("OMP_WAIT_POLICY")]))

    run_jobs([Job([("A", 0)], record)], LaunchOptions(launcher="ray", threads="2"), ("test", "x"), tmp_path)
    assert json.loads(out.read_text()) == [0, 2, os.environ["OMP_WAIT_POLICY"]]
    assert "[threads] torch uses 2 threads (in each Ray trial; --threads 2)" in capsys.readouterr().out


def metrics(root) -> dict:
    """summary.json without the training times."""
    saved = json.loads((root / "summary.json").read_text())
    return {name: {k: v for k, v in point.items() if k != "train_runtime_s"} for name, point in saved.items()}


def test_ray_gives_the_local_summary_and_a_second_invocation_trains_only_the_failed(embedded_ray, tmp_path, capsys):
    local, on_ray, path = tmp_path / "local", tmp_path / "ray", write(tmp_path, sweep=GRID)
    run_sweep(path, output_dir=str(local))
    assert list(run_sweep(path, output_dir=str(on_ray), launch=RAY)) == FINISHED
    assert metrics(on_ray) == metrics(local) and len(metrics(local)) == 6
    assert "failed" in metrics(on_ray)["Z3-no_such_model_folder"]
    assert "[sweep] 6/6 done, 2 failed" in capsys.readouterr().out
    run_sweep(path, output_dir=str(on_ray))  # the other launcher resumes from the same folders
    out = capsys.readouterr().out
    assert out.count("(reused)") == 4 and out.count("FAILED") == 2  # the finished are read back, the failed retried


def test_ray_runs_the_min_depth_search_with_the_local_results(embedded_ray, tmp_path, capsys):
    search = {"min": "model.num_layers", "values": [1, 2], "threshold": 0.99}
    path = write(tmp_path, sweep={"task.name": ["Z2", "Z3"]}, search=search)
    run_sweep(path, output_dir=str(tmp_path / "local"))
    run_sweep(path, output_dir=str(tmp_path / "ray"), launch=RAY)
    records = [json.loads((tmp_path / d / "search.json").read_text()) for d in ("local", "ray")]
    assert records[0] == records[1] and [r["tried"] for r in records[0]["points"]] == [[1, 2], [1, 2]]
    assert metrics(tmp_path / "ray") == metrics(tmp_path / "local")
    assert "[sweep] 4/4 done, 0 failed" in capsys.readouterr().out

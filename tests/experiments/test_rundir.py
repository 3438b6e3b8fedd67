"""Nothing stale, nothing lost: output_dir ownership, resume fingerprints, incomplete checkpoints, and the model
saved before the final evaluation. Tiny runs (Z2, an 8-unit LSTM, 2-4 steps) through `statetrack train`."""

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from hf_statetrack.cli import main
from hf_statetrack.experiments import pipeline
from hf_statetrack.experiments.rundir import RUN_FILE

TINY = {
    "task": {"name": "Z2", "train_length": [1, 4], "num_train": 32, "num_test": 8, "num_validation": 8},
    "model": {"preset": "lstm", "num_layers": 1, "hidden_size": 8},
    "training": {"max_steps": 2, "per_device_train_batch_size": 8, "eval_strategy": "no", "disable_tqdm": True,
                 "save_strategy": "steps", "save_steps": 2},
}


def train(tmp_path, *sets: str) -> int:
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), **TINY}))
    argv = ["train", str(path)]
    for assignment in sets:
        argv += ["--overwrite"] if assignment == "--overwrite" else ["--set", assignment]
    return main(argv)


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def steps(tmp_path) -> int:
    return json.loads((tmp_path / "out" / "results.json").read_text())["train"]["steps"]


def test_a_folder_of_another_run_is_refused_and_overwrite_clears_it(tmp_path, capsys):
    """The issue's case: a finished run, then a new learning rate with resume: true, trained 0 steps and
    published the old model. Now the folder is refused (one line naming the changed key) until --overwrite."""
    assert train(tmp_path) == 0 and (tmp_path / "out" / "checkpoint-2").is_dir()
    for extra in ([], ["resume=true"]):
        assert train(tmp_path, "training.learning_rate=0.05", *extra) == 2
        line = one_error_line(capsys)
        assert "holds a run whose config differs in training.learning_rate" in line and "--overwrite" in line
    (tmp_path / "out" / "checkpoint-2" / "marker").write_text("old run")
    assert train(tmp_path, "training.learning_rate=0.05", "training.max_steps=1", "--overwrite") == 0
    assert steps(tmp_path) == 1 and not (tmp_path / "out" / "checkpoint-2").exists()  # cleared, then trained


def test_resume_extends_a_run_and_refuses_a_checkpoint_of_another_config(tmp_path, capsys):
    assert train(tmp_path) == 0
    assert train(tmp_path, "resume=true", "training.max_steps=4") == 0  # extending a run is allowed
    assert steps(tmp_path) == 4
    run_file = tmp_path / "out" / "checkpoint-4" / RUN_FILE
    stored = json.loads(run_file.read_text())
    stored["fingerprint"]["model"]["hidden_size"] = 16  # a checkpoint copied in from another run
    run_file.write_text(json.dumps(stored))
    assert train(tmp_path, "resume=true", "training.max_steps=6") == 2
    line = one_error_line(capsys)
    assert "checkpoint-4 was trained with another config (differs in model.hidden_size)" in line


def test_incomplete_checkpoints_are_skipped_with_one_warning(tmp_path, capsys):
    """A kill during a save leaves checkpoint-N without trainer_state.json (Trainer writes it last), or empty."""
    assert train(tmp_path, "training.max_steps=4") == 0
    (tmp_path / "out" / "checkpoint-4" / "trainer_state.json").unlink()
    (tmp_path / "out" / "checkpoint-6").mkdir()
    capsys.readouterr()
    assert train(tmp_path, "resume=true", "training.max_steps=5") == 0
    err = capsys.readouterr().err
    assert err.count("warning: skipping incomplete checkpoint(s) checkpoint-6, checkpoint-4") == 1
    assert "resuming from checkpoint-2" in err and steps(tmp_path) == 5


def test_resume_on_a_first_run_starts_fresh(tmp_path, capsys):
    assert train(tmp_path, "resume=true") == 0
    assert steps(tmp_path) == 2 and "starting from step 0" in capsys.readouterr().err


def test_an_evaluation_failure_keeps_the_trained_model(tmp_path, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise IndexError("index out of range in self")

    monkeypatch.setattr(pipeline, "evaluate_split", fail)
    assert train(tmp_path) == 2
    line = one_error_line(capsys)
    assert "the model is saved in" in line and "final evaluation failed (IndexError" in line
    out = tmp_path / "out"
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert not (out / "results.json").exists()


def test_kill_9_during_checkpointing_then_resume_finishes(tmp_path):
    """A real SIGKILL while Trainer saves a checkpoint every step; whatever it cut, resume finishes the run."""
    config = tmp_path / "cfg.yaml"
    training = {**TINY["training"], "max_steps": 400, "save_steps": 1, "save_total_limit": 3}
    config.write_text(yaml.safe_dump({"output_dir": str(tmp_path / "out"), **TINY, "training": training}))
    proc = subprocess.Popen([sys.executable, "-m", "hf_statetrack", "train", str(config)],
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out").glob("checkpoint-1*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "out" / "results.json").exists()
    target = max(int(p.name.split("-")[1]) for p in (tmp_path / "out").glob("checkpoint-*")) + 3
    assert main(["train", str(config), "--set", "resume=true", "--set", f"training.max_steps={target}"]) == 0
    assert steps(tmp_path) == target


def test_the_working_directory_is_never_an_output_dir(tmp_path, capsys, monkeypatch):
    assert train(tmp_path) == 0
    monkeypatch.chdir(tmp_path / "out")
    for extra in (["--overwrite"], []):
        assert train(tmp_path, "output_dir=.", "training.learning_rate=0.05", *extra) == 2
        assert "output_dir '.' is the working directory" in one_error_line(capsys)
    assert (tmp_path / "out" / "results.json").is_file()


def test_a_finished_run_is_replaced_only_by_a_longer_run_of_the_same_config(tmp_path, capsys):
    """Regression: training length and cadence were left out of the fingerprint (so a run can be extended),
    and a 1-step config retrained a finished 4-step run in place, or republished it (resume: true)."""
    assert train(tmp_path, "training.max_steps=4") == 0
    for extra in ([], ["resume=true"]):
        assert train(tmp_path, "training.max_steps=2", *extra) == 2
        line = one_error_line(capsys)
        assert "trained to step 4" in line and "training.max_steps 2 would shorten it" in line
        assert "--overwrite" in line
    assert train(tmp_path, "training.max_steps=4", "training.logging_strategy=steps") == 2
    line = one_error_line(capsys)
    assert "holds a run whose config differs in training.logging_strategy (finished)" in line
    assert steps(tmp_path) == 4
    assert train(tmp_path, "training.max_steps=5") == 0 and steps(tmp_path) == 5  # longer: allowed
    assert train(tmp_path, "training.max_steps=2", "--overwrite") == 0 and steps(tmp_path) == 2


def test_dotdot_and_home_in_output_dir_are_resolved_before_the_checks(tmp_path, capsys, monkeypatch):
    """Regression: `runs/missing/../ref` passed the "holds another run" check (made before `missing` existed)
    and retrained the finished run in runs/ref; `~/x` was a folder named "~"."""
    assert train(tmp_path) == 0
    assert train(tmp_path, f"output_dir={tmp_path}/missing/../out", "training.learning_rate=0.05") == 2
    assert "holds a run whose config differs in training.learning_rate" in one_error_line(capsys)
    assert not (tmp_path / "missing").exists()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert train(tmp_path, "output_dir=~/run") == 0
    assert (tmp_path / "home" / "run" / "results.json").is_file() and not (tmp_path / "~").exists()


def test_a_run_another_process_trains_is_refused(tmp_path, capsys):
    from filelock import FileLock

    (tmp_path / "out").mkdir()
    with FileLock(tmp_path / "out" / ".statetrack.lock"):  # as a `statetrack train` or sweep still running holds it
        assert train(tmp_path) == 2
    assert "another process is training into" in one_error_line(capsys)
    assert not (tmp_path / "out" / "results.json").exists()
    assert train(tmp_path) == 0


def test_an_evaluation_never_replaces_a_training_runs_results(tmp_path, capsys):
    assert train(tmp_path) == 0
    out = str(tmp_path / "out")
    assert main(["eval", "--model", out, "--task", "Z2", "--test-length", "2", "--num-test", "4",
                 "--output-dir", out]) == 2
    assert "holds the results of a train run (results.json)" in one_error_line(capsys)
    assert json.loads((tmp_path / "out" / "results.json").read_text())["kind"] == "train"
    assert main(["eval", "--model", out, "--task", "Z2", "--test-length", "2", "--num-test", "4"]) == 0
    assert main(["eval", "--model", out, "--task", "Z2", "--test-length", "2", "--num-test", "4"]) == 0  # again

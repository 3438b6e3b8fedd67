"""The local launcher's worker processes (``--max-parallel N``): how many at once and with what, the files of a
parallel sweep equal to a sequential one's (plain grid and minimum-depth search), a job or worker that breaks
fails its runs only, and SIGTERM stops every worker with nothing half-written (a real subprocess)."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from hf_statetrack.cli import main, make_parser
from hf_statetrack.core import threads
from hf_statetrack.experiments import grid
from hf_statetrack.experiments.launchers import Job, LaunchOptions, Progress
from hf_statetrack.experiments.sweep import run_sweep
from hf_statetrack.experiments.workers import DIED, Plan, plan, run_in_workers
from hf_statetrack.reporting.results import Results
from tests.experiments import worker_jobs
from tests.experiments.test_launchers import FAILING, LSTM, metrics
from tests.experiments.test_sweep import fake_depth_runs, write

pytestmark = pytest.mark.usefixtures("one_thread")
ROOT = Path(__file__).resolve().parents[2]


def all_idle(cpus):
    return float(len(cpus)), "test: every core idle"


@pytest.fixture
def four_idle_cores(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    return threads.auto(measure=all_idle).threads  # 4, or fewer under a cgroup CPU quota


def test_auto_is_the_free_cores_over_the_threads_a_run_asks_for_at_most_the_jobs(four_idle_cores):
    free = four_idle_cores
    how = plan("auto", 8, devices=[], measure=all_idle)
    assert (how.workers, how.threads.threads, how.devices) == (free, 1, [])
    assert how.reason == f"auto: {free} free cores" and f"in each of {free} worker processes" in how.threads.reason
    assert plan("auto", 8, config_threads=2, devices=[], measure=all_idle).workers == max(1, free // 2)
    assert plan("auto", 1, devices=[], measure=all_idle).workers == 1
    assert plan(2, 8, cli_threads=3, devices=[], measure=all_idle).threads.threads == 3


def test_auto_on_a_gpu_node_is_one_worker_per_gpu_and_more_workers_share_them(four_idle_cores):
    how = plan("auto", 8, devices=["0", "1"], measure=all_idle)
    assert (how.workers, how.devices, how.reason) == (2, ["0", "1"], "auto: 2 GPUs")
    assert plan(3, 8, devices=["4", "7"], measure=all_idle).devices == ["4", "7", "4"]
    assert how.line() == ("[launcher] local: 2 runs at once in worker processes (auto: 2 GPUs), one GPU each "
                          "(CUDA_VISIBLE_DEVICES 0 / 1)")


def test_the_cli_defaults_to_auto_and_refuses_a_bad_count_in_one_line(tmp_path, capsys):
    for command in (["sweep", "x.yaml"], ["reproduce", "sarrof_formal_languages"]):
        assert make_parser().parse_args(command).max_parallel == "auto"
    assert LaunchOptions(launcher="ray", max_parallel="auto").max_parallel is None
    assert main(["sweep", write(tmp_path, sweep={"task.name": ["Z2"]}), "--max-parallel", "0"]) == 2
    assert capsys.readouterr().err == "error: --max-parallel must be a whole number >= 1 or auto, got '0'\n"


class Recording(Progress):
    def __init__(self, jobs):
        super().__init__(jobs, ("test", "sequence_accuracy"))
        self.events = []

    def report(self, event):
        self.events.append(event)
        super().report(event)


def test_workers_run_every_job_with_one_thread_and_one_gpu_each_and_a_broken_job_fails_alone(capsys):
    jobs = [Job([(f"P{i}", 0), (f"P{i}", 1)], partial(worker_jobs.report_where, f"P{i}", [0, 1])) for i in range(3)]
    jobs.insert(1, Job([("E", 0), ("E", 1)], partial(worker_jobs.raise_after_one, "E")))
    progress = Recording(jobs)
    run_in_workers(jobs, progress, Plan(2, threads.Choice(1, "test"), ["5", "7"], "test"))
    assert progress.failures == {("E", 1): "ValueError: the job broke"} and (progress.done, progress.total) == (8, 8)
    where = [e for e in progress.events if "pid" in e]
    assert [(e["point"], e["seed"]) for e in where if e["point"] == "P2"] == [("P2", 0), ("P2", 1)]  # job order
    assert len(where) == 6 and {e["threads"] for e in where} == {1} and {e["gpu"] for e in where} <= {"5", "7"}
    gpu_of = {}
    assert all(gpu_of.setdefault(e["pid"], e["gpu"]) == e["gpu"] for e in where) and len(gpu_of) <= 2
    assert "[sweep] 8/8 done, 1 failed" in capsys.readouterr().out


def test_a_worker_that_dies_fails_the_unfinished_runs_and_the_sweep_ends():
    jobs = [Job([("D", 0)], worker_jobs.die), Job([("P", 0)], partial(worker_jobs.report_where, "P", [0]))]
    progress = Recording(jobs)
    run_in_workers(jobs, progress, Plan(1, threads.Choice(1, "test"), [], "test"))
    assert progress.failures == {("D", 0): DIED, ("P", 0): DIED} and progress.done == 2


def without_train_seconds(markdown: str) -> str:
    """summary.md without its last column (train s)."""
    return "\n".join(re.sub(r" [^|]* \|$", "", line) if line.startswith("|") else line
                     for line in markdown.splitlines())


def assert_same_files(one: Path, two: Path) -> None:
    """The summaries, and every run's results, alike but for times."""
    assert metrics(one) == metrics(two)
    assert without_train_seconds((one / "summary.md").read_text()) == \
        without_train_seconds((two / "summary.md").read_text())
    runs = sorted(p.relative_to(one) for p in one.glob("*/seed*/results.json"))
    assert runs == sorted(p.relative_to(two) for p in two.glob("*/seed*/results.json")) and runs
    for run in runs:
        a, b = (json.loads((root / run).read_text()) for root in (one, two))
        assert a["splits"] == b["splits"] and a["train"]["loss"] == b["train"]["loss"]
        assert a["settings"]["torch_threads"] == b["settings"]["torch_threads"] == 1


def test_a_parallel_sweep_writes_the_files_of_a_sequential_one(tmp_path, capsys):
    path = write(tmp_path, sweep={"task.name": ["Z2", "Z3"], "model": [LSTM, FAILING]}, threads=1)
    one, two = tmp_path / "one", tmp_path / "two"
    run_sweep(path, seeds=2, output_dir=str(one), launch=LaunchOptions(max_parallel=1))
    assert capsys.readouterr().out.count("[sweep] 8/8 done, 4 failed") == 1
    run_sweep(path, seeds=2, output_dir=str(two), launch=LaunchOptions(max_parallel=2))
    out = capsys.readouterr().out
    assert f"[launcher] local: 2 runs at once in worker processes (--max-parallel 2); their output in {two}/logs/" \
        in out
    assert "[threads] torch uses 1 thread (in each of 2 worker processes; threads: 1 in the config)" in out
    assert out.count("[run] ") == 8 and "[sweep] 8/8 done, 4 failed" in out
    assert_same_files(one, two)
    assert len(json.loads((two / "summary.json").read_text())["Z3-no_such_model_folder"]["failed"]) == 2
    logs = "".join(p.read_text() for p in (two / "logs").glob("worker*.log"))
    assert logs.count("=== Z2-lstm-L1-H8 seed") == 2 and "=== Z2-lstm-L1-H8 seed" not in out  # off the terminal


def test_a_parallel_search_keeps_each_points_order_and_writes_the_sequential_files(tmp_path, capsys):
    """Z2 passes at depth 1 (its depth 2 never trains), Z3 tries 1 then 2 in one worker."""
    search = {"min": "model.num_layers", "values": [1, 2], "metric": "token_accuracy", "threshold": 0.5}
    path = write(tmp_path, sweep={"task.name": ["Z2", "Z3"]}, search=search, threads=1)
    one, two = tmp_path / "one", tmp_path / "two"
    run_sweep(path, output_dir=str(one), launch=LaunchOptions(max_parallel=1))
    run_sweep(path, output_dir=str(two), launch=LaunchOptions(max_parallel=2))
    records = [json.loads((root / "search.json").read_text()) for root in (one, two)]
    assert records[0] == records[1] and [r["tried"] for r in records[1]["points"]] == [[1], [1, 2]]
    assert not (two / "Z2-lstm-L2-H8").exists()
    assert (one / "search.md").read_text() == (two / "search.md").read_text()
    assert_same_files(one, two)
    assert capsys.readouterr().out.count("[sweep] 3/3 done, 0 failed") == 2


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process ids from /proc")
def test_sigterm_stops_every_worker_and_leaves_no_half_written_run(tmp_path, monkeypatch, capsys):
    """Two quick runs finish, two long ones are training in the two workers when the parent gets SIGTERM:
    the parent exits 130, no worker is left, the long runs have no results, and the next invocation reads the
    quick runs back and trains only the long ones."""
    path = write(tmp_path, sweep={"training.max_steps": [2, 20000]}, threads=1)
    command = [sys.executable, "-m", "hf_statetrack", "sweep", path, "--seeds", "2", "--max-parallel", "2"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    out = tmp_path / "out"
    long_runs = [out / "Z2-lstm-L1-H8-max_steps20000" / f"seed{seed}" for seed in (0, 1)]
    try:
        deadline = time.time() + 240
        while not all((run / "statetrack_run.json").exists() for run in long_runs):  # claimed: about to train
            assert proc.poll() is None and time.time() < deadline, "".join(lines)
            time.sleep(0.2)
        time.sleep(1.0)  # both long runs are training now
        workers = children(proc.pid)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=60) == 130
        reader.join(timeout=30)
        assert not reader.is_alive()
        output = "".join(lines)  # all of it: every writer (the workers too) has closed the pipe
        assert output.endswith("interrupted\n") and "Traceback" not in output and len(workers) >= 2
        deadline = time.time() + 15
        while any(alive(pid) for pid in workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(alive(pid) for pid in workers)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert not (out / "summary.json").exists()
    for seed, run in enumerate(long_runs):
        Results.read(out / "Z2-lstm-L1-H8-max_steps2" / f"seed{seed}")  # finished: complete
        assert not (run / "results.json").exists()
    fake_depth_runs(monkeypatch, {"Z2": 1})  # the long runs, retrained here, as a quick stand-in
    trained, fake = [], grid.run_experiment
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: trained.append(Path(cfg.output_dir)) or fake(cfg))
    capsys.readouterr()
    assert len(run_sweep(path, seeds=2)) == 2
    assert [p.parent.name for p in trained] == ["Z2-lstm-L1-H8-max_steps20000"] * 2
    assert capsys.readouterr().out.count("(reused)") == 2

"""The torch thread count: --threads > threads: > OMP_NUM_THREADS > auto; auto from the CPU affinity, the cgroup
quota (fake files) and the cores other processes keep busy (fake /proc/stat samples); the line printed at start;
OMP_WAIT_POLICY set before torch loads."""

import doctest
import os
import subprocess
import sys

import pytest
import yaml

from hf_statetrack.cli import main
from hf_statetrack.core import threads
from hf_statetrack.core.errors import StateTrackError

IDLE_1 = lambda cpus: (1.0, "fake")  # noqa: E731  one of two cores busy with another process


def test_doctests():
    assert doctest.testmod(threads).failed == 0


@pytest.mark.parametrize("cli, config, env, expected", [
    ("3", 2, {"OMP_NUM_THREADS": "4"}, (3, "--threads 3")),
    (None, 2, {"OMP_NUM_THREADS": "4"}, (2, "threads: 2 in the config")),
    (None, None, {"OMP_NUM_THREADS": "4"}, (4, "OMP_NUM_THREADS=4")),
    ("auto", 2, {"OMP_NUM_THREADS": "4"}, (1, "auto: ")),  # auto given first wins over what comes later
    (None, "auto", {"OMP_NUM_THREADS": "4"}, (1, "auto: ")),
    (None, None, {}, (1, "auto: ")),
], ids=["cli", "config", "env", "cli-auto", "config-auto", "auto"])
def test_the_first_given_wins(monkeypatch, cli, config, env, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    choice = threads.choose(cli, config, env, measure=IDLE_1)
    assert choice.threads == expected[0] and choice.reason.startswith(expected[1])


@pytest.mark.parametrize("idle, quota, share, cap, expected", [
    (2.0, None, 1, None, 2),   # a quiet 2-core machine
    (1.8, None, 1, None, 2),   # a little noise still counts as free
    (1.0, None, 1, None, 1),   # another process holds one core
    (0.1, None, 1, None, 1),   # at least 1
    (2.0, 1.5, 1, None, 1),    # a cgroup quota of 1.5 cores
    (2.0, None, 2, None, 1),   # two processes or parallel runs share the cores
    (2.0, None, 1, 1, 1),      # at most --cpus-per-run
], ids=["quiet", "noise", "busy", "full", "quota", "shared", "cap"])
def test_auto_counts_allowed_and_free_cores(monkeypatch, idle, quota, share, cap, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    choice = threads.auto(share, cap, measure=lambda cpus: (idle, "fake"), quota=lambda: quota)
    assert choice.threads == expected


def test_accelerate_processes_share_the_cores(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    choice = threads.choose(environ={"LOCAL_WORLD_SIZE": "2"}, parallel_runs=2, measure=lambda cpus: (8.0, "fake"))
    assert choice.threads == 2 and "shared by 4 processes or parallel runs" in choice.reason


@pytest.mark.parametrize("value", ["0", "two", True, 1.5, "-1"])
def test_bad_requests_are_one_line(value):
    with pytest.raises(StateTrackError, match=r"^threads must be a whole number >= 1 or auto, got "):
        threads.parse_request(value, "threads")


def test_cgroup_quota_parsing():
    assert threads.parse_cpu_max("150000 100000\n") == 1.5 and threads.parse_cpu_max("max 100000") is None
    assert threads.parse_cfs("-1", "100000") is None and threads.parse_cfs("200000\n", "100000\n") == 2.0


def test_the_tightest_quota_of_the_cgroup_and_its_parents(tmp_path):
    (tmp_path / "slice" / "job").mkdir(parents=True)
    (tmp_path / "cpu.max").write_text("max 100000\n")
    (tmp_path / "slice" / "cpu.max").write_text("300000 100000\n")
    (tmp_path / "slice" / "job" / "cpu.max").write_text("max 100000\n")
    assert threads.cgroup_quota(tmp_path, "0::/slice/job\n") == 3.0
    assert threads.cgroup_quota(tmp_path, "0::/\n") is None


def test_cgroup_v1_cfs_quota(tmp_path):
    (tmp_path / "cpu,cpuacct").mkdir()
    (tmp_path / "cpu,cpuacct" / "cpu.cfs_quota_us").write_text("50000\n")
    (tmp_path / "cpu,cpuacct" / "cpu.cfs_period_us").write_text("100000\n")
    assert threads.cgroup_quota(tmp_path, "4:cpu,cpuacct:/\n") == 0.5


def test_idle_cores_reads_only_the_allowed_cpus():
    before = "cpu  30 0 0 70 0 0 0 0 0 0\ncpu0 10 0 0 40 0 0 0 0 0 0\ncpu1 10 0 0 40 0 0 0 0 0 0\nintr 5\n"
    after = "cpu  80 0 0 120 0 0 0 0 0 0\ncpu0 60 0 0 40 0 0 0 0 0 0\ncpu1 10 0 0 90 0 0 0 0 0 0\nintr 9\n"
    assert threads.idle_cores(before, after, {0, 1}) == 1.0  # cpu0 busy, cpu1 idle
    assert threads.idle_cores(before, after, {1}) == 1.0 and threads.idle_cores(before, after, {0}) == 0.0


def test_prepare_openmp_keeps_the_users_choice():
    env = {}
    threads.prepare_openmp(env)
    assert env == {"OMP_WAIT_POLICY": "PASSIVE"}
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    threads.prepare_openmp(env)
    assert env == {"OMP_WAIT_POLICY": "ACTIVE"}


def test_the_cli_sets_the_wait_policy_before_torch_loads():
    code = ("import os, sys\nfrom hf_statetrack.cli import main\nloaded = 'torch' in sys.modules\n"
            "main(['tasks', 'S3'])\nprint(loaded, os.environ['OMP_WAIT_POLICY'])")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.splitlines()[-1] == "False PASSIVE"


def test_train_prints_the_choice_and_records_it(tmp_path, capsys, one_thread):
    import json

    from tests.experiments.tiny import TINY_EXPERIMENT as TINY

    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({**TINY, "output_dir": str(tmp_path / "out"), "threads": 2}))
    assert main(["train", str(path), "--threads", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "[threads] torch uses 1 thread (--threads 1)"
    assert json.loads((tmp_path / "out" / "results.json").read_text())["settings"]["torch_threads"] == 1
    assert main(["train", str(path), "--overwrite"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "[threads] torch uses 2 threads (threads: 2 in the config)"

"""Caches and signals, as a user meets them: a complete cache in a folder the user cannot write is read (also
streaming); `statetrack generate` stopped with SIGTERM cleans up like Ctrl-C."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hf_statetrack
from hf_statetrack import StateTrackError

PARAMS = {"train_length": 4, "num_train": 20, "num_test": 5}


def make_read_only(paths: list[Path], read_only: bool = True) -> None:
    """chmod for users; root writes through any mode, so for root the paths are made immutable (chattr)."""
    for path in paths:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i" if read_only else "-i", str(path)], check=True)
        else:
            path.chmod((0o555 if path.is_dir() else 0o444) if read_only else 0o755)


def test_a_complete_read_only_cache_is_readable(tmp_path):
    """datasets created its lock file first, so a read-only cache could not be read even when complete."""
    folder = tmp_path / "cache"
    expected = hf_statetrack.load_dataset("S3", cache_dir=str(folder), **PARAMS)["train"][0]["input_ids"]
    paths = [folder, *folder.rglob("*")]  # as `chmod -R a-w`: the lock files datasets left behind, too
    if os.geteuid() == 0 and shutil.which("chattr") is None:
        pytest.skip("root needs chattr to make a folder read-only")
    make_read_only(paths)
    try:
        for streaming in (False, True):
            ds = hf_statetrack.load_dataset("S3", cache_dir=str(folder), streaming=streaming, **PARAMS)
            assert next(iter(ds["train"]))["input_ids"] == expected
        with pytest.raises(StateTrackError, match="is read-only and holds no complete copy of this dataset"):
            hf_statetrack.load_dataset("S3", cache_dir=str(folder), **{**PARAMS, "seed": 1})
    finally:
        make_read_only(paths, read_only=False)


def test_sigterm_during_generate_cleans_up_like_ctrl_c(tmp_path):
    out = tmp_path / "S5"
    argv = [sys.executable, "-m", "hf_statetrack", "generate", "S5", "--train-length", "40-60", "--num-train",
            "400000", "--num-test", "10", "--out", str(out)]
    proc = subprocess.Popen(argv, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".S5.partial-*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "generation finished before it could be stopped; make it larger"
    time.sleep(0.5)  # inside the generation, with the temporary cache in place
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no partial folder, no temporary cache, no output

"""One process at a time per run folder: two sweeps or reproductions started on the same output folder (or a
sweep and a Ray trial, or two machines sharing it) never train the same run twice.

`run_lock` holds an OS file lock (``filelock``: released by the kernel if the process dies, even by kill -9)
in ``<run folder>/.statetrack.lock`` while a run is trained or read back. A second process waits for it with
one progress line, then reads the finished run back instead of training it; `statetrack train` refuses in one
line instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ..core.errors import StateTrackError

LOCK_FILE = ".statetrack.lock"


@contextmanager
def run_lock(output_dir: str | Path, label: str, wait: bool = True) -> Iterator[bool]:
    """Hold the lock of the run folder `output_dir` (created if missing) for the block; yields True when
    another process held it first (this one waited for that process to finish the run). Not `wait`: refuse."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_FILE)
    try:
        lock.acquire(timeout=0)
        waited = False
    except Timeout:
        if not wait:
            raise StateTrackError(f"another process is training into {folder} (it holds {folder / LOCK_FILE}); "
                                  f"wait for it to finish, or choose another output_dir") from None
        print(f"[run] {label}: another process is training it; waiting to read it back", flush=True)
        lock.acquire()
        waited = True
    try:
        yield waited
    finally:
        lock.release()

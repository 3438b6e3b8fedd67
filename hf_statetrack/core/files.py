"""Where and how every command writes: one output-folder check and one atomic-write helper.

* `resolve(path)`: ``~`` expanded, ``..`` and symlinks resolved (relative paths stay relative to the working
  directory): ``runs/missing/../ref`` is ``runs/ref``, the folder the kernel would write.
* `output_folder(path, what)`: the resolved folder, after checking, before any work, that a command may write
  there: not the working directory, one of its parents or the home folder (a command that replaces its output
  would delete them); not a file; writable; every new name within the file system's limit.
* `atomic_path` / `atomic_write`: a file appears whole or not at all, written under a unique temporary name in
  its folder and renamed (two processes writing the same file never share a temporary).
* `atomic_dir`: the same for a folder: filled under a unique staging name beside it, then put in its place.

>>> str(resolve("runs/missing/../ref"))
'runs/ref'
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import StateTrackError

TEMP_ROOM = 24  # characters our temporary siblings add to a name (".<name>.partial-1234abcd")


def resolve(path: str | os.PathLike) -> Path:
    """`path` as the kernel will find it: ``~`` expanded, ``..`` and symlinks resolved; relative stays relative."""
    spelled = Path(os.path.expanduser(os.fspath(path)))
    real = Path(os.path.realpath(spelled))
    if spelled.is_absolute():
        return real
    try:
        return Path(os.path.relpath(real))
    except ValueError:  # another drive (Windows)
        return real


def output_folder(path: str | os.PathLike, what: str) -> Path:
    """The resolved `path` once it is a folder this command may create or fill (see the module docstring);
    otherwise one `StateTrackError` line naming `what` (e.g. "--out") and the fix."""
    folder = resolve(path)
    real, here = Path(os.path.realpath(folder)), Path.cwd().resolve()
    if real in (here, *here.parents, Path.home().resolve()):
        raise StateTrackError(f"{what} {os.fspath(path)!r} is the working directory, one of its parents or the home "
                              f"folder ({real}); name a dedicated folder, e.g. {what} outputs/run1")
    base = real
    while not os.path.exists(base) and base != base.parent:  # os.path: a name too long is "missing" too
        base = base.parent
    if not base.is_dir():
        raise StateTrackError(f"{what} {os.fspath(path)} cannot be written ({base} is a file); choose another folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise StateTrackError(f"{what} {os.fspath(path)} cannot be written ({base} is not writable); choose "
                              f"another folder")
    check_name_lengths(real, base, what)
    return folder


def check_name_lengths(real: Path, base: Path, what: str) -> None:
    """Every folder still to be created fits the file system's name limit, with room for our temporaries."""
    try:
        name_max, path_max = os.pathconf(base, "PC_NAME_MAX"), os.pathconf(base, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        name_max, path_max = 255, 4096
    for part in real.relative_to(base).parts:
        if len(os.fsencode(part)) + TEMP_ROOM > name_max:
            raise StateTrackError(f"{what}: the folder name {part[:40]!r}... has {len(os.fsencode(part))} bytes; "
                                  f"this file system allows {name_max - TEMP_ROOM} here; choose a shorter name")
    if len(os.fsencode(str(real))) + 2 * TEMP_ROOM > path_max:
        raise StateTrackError(f"{what}: the path {str(real)[:60]!r}... is longer than this file system allows "
                              f"({path_max} bytes with the files inside); choose a shorter path")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A unique temporary path beside `path` to write to; renamed onto `path` when the block ends without
    error, removed otherwise. Readers see the old file or the whole new one, never a cut one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path, text: str) -> None:
    """`text` into `path` atomically, with the usual permissions (umask), not mkstemp's 0600."""
    with atomic_path(path) as tmp:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "w") as f:
            f.write(text)


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """A unique empty staging folder beside `target` to fill; it takes `target`'s place when the block ends
    without error (the old `target` is removed only then), and is removed otherwise. Made with mkdir, not
    mkdtemp: the finished folder gets the user's usual permissions, not 0700."""
    target = Path(target)
    staging = target.with_name(f".{target.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as err:
        raise StateTrackError(f"cannot write {target} ({err.strerror}); choose another output folder") from None
    try:
        yield staging
        replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_dir(new: Path, target: Path) -> None:
    """Put the finished folder `new` (a sibling of `target`) in `target`'s place; the old `target`, if any, is
    removed only once `new` is in place."""
    if not target.exists():
        new.rename(target)
        return
    old = new.with_name(new.name + "-old")
    target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old)

"""Make ``datasets.load_dataset("hf_statetrack", NAME, **params)`` reach `StateTrackBuilder`.

datasets >= 4 has no script loading. Its `dataset_module_factory` would try the Hub, or scan the
working directory for data files (and fail in an empty one). We wrap that one function so our name
short-circuits to the builder before any file system or network look-up; every other path is untouched.
If a datasets release drops the internals this relies on (`upstream`, hook ``datasets_loader``), we
warn once at import and ``hf_statetrack.load_dataset`` keeps working (it uses the builder directly).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import datasets
import datasets.load

from ..errors import StateTrackError
from ..upstream import warn_drift
from .builder import DATASET_NAME

BUILDER_MODULE = "hf_statetrack.data.builder"
_HOOK_FLAG = "_hf_statetrack_hook"


PACKAGE = Path(__file__).resolve().parents[1]


def generator_files(root: Path = PACKAGE) -> list[Path]:
    """Every file rows depend on: the tasks (with their subfolders) and the data layer."""
    return sorted(p for folder in ("tasks", "data") for p in (root / folder).rglob("*.py"))


@functools.cache
def source_hash(root: Path = PACKAGE) -> str:
    """Hash of the code that generates rows: the cache is invalidated whenever that code changes."""
    digest = hashlib.sha256()
    for f in generator_files(root):
        digest.update(str(f.relative_to(root)).encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


def dataset_module():
    try:
        return datasets.load.DatasetModule(BUILDER_MODULE, source_hash(), {"dataset_name": DATASET_NAME})
    except TypeError as err:
        raise StateTrackError(f"datasets {datasets.__version__} changed DatasetModule ({err}); "
                              f"use hf_statetrack.load_dataset(...) instead") from None


def install_datasets_hook() -> bool:
    load = datasets.load
    original = getattr(load, "dataset_module_factory", None)
    if getattr(original, _HOOK_FLAG, False):
        return True
    if not warn_drift("datasets_loader", f"datasets.load_dataset('{DATASET_NAME}', ...) is unavailable; use "
                      f"hf_statetrack.load_dataset(...) instead"):
        return False

    @functools.wraps(original)
    def dataset_module_factory(path, *args, **kwargs):
        if path == DATASET_NAME:
            return dataset_module()
        return original(path, *args, **kwargs)

    setattr(dataset_module_factory, _HOOK_FLAG, True)
    load.dataset_module_factory = dataset_module_factory
    return True

"""Make ``datasets.load_dataset("hf_statetrack", NAME, **params)`` reach `StateTrackBuilder`.

datasets >= 4 has no script loading. Its `dataset_module_factory` would try the Hub, or scan the
working directory for data files (and fail in an empty one). We wrap that one function so our name
short-circuits to the builder before any file system or network look-up; every other path is untouched.
If a datasets release drops the internals this relies on (`upstream`, hook ``datasets_loader``), we
warn once at import and ``hf_statetrack.load_dataset`` keeps working (it uses the builder directly).
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

import datasets
import datasets.load

from ..core.errors import StateTrackError
from ..core.upstream import warn_drift
from .builder import DATASET_NAME

BUILDER_MODULE = "hf_statetrack.data.builder"
_HOOK_FLAG = "_hf_statetrack_hook"


PACKAGE = Path(__file__).resolve().parents[1]


def generator_files(root: Path = PACKAGE) -> list[Path]:
    """Every file rows depend on: the tasks (with their subfolders), the data layer, the package's __init__
    (it runs before any row), and every module of the package these import, directly or not (read from their
    import statements, so a module that shapes rows from elsewhere, such as text/render.py writing the text
    columns, is part of the key without a list)."""
    todo = [root / "__init__.py", *(p for folder in ("tasks", "data") for p in (root / folder).rglob("*.py"))]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo += imported_files(root, path)
    return sorted(seen)


def imported_files(root: Path, path: Path) -> list[Path]:
    """The package's files that `path` imports (at the top or inside functions), relative or absolute, with the
    `__init__.py` of the packages they sit in."""
    package = ["hf_statetrack", *path.relative_to(root).parent.parts]
    found = []
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = [*base, *(node.module or "").split(".")] if node.module else base
            candidates = [module, *([*module, alias.name] for alias in node.names)]
        elif isinstance(node, ast.Import):
            candidates = [alias.name.split(".") for alias in node.names]
        else:
            continue
        for parts in candidates:
            if parts[:1] == ["hf_statetrack"]:
                # the module, and the __init__.py of every package above it (importing core.errors runs core/)
                packages = [root.joinpath(*parts[1:i]) / "__init__.py" for i in range(2, len(parts))]
                target = root.joinpath(*parts[1:])
                found += [f for f in (target.with_suffix(".py"), target / "__init__.py", *packages) if f.is_file()]
    return found


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

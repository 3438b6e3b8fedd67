"""The peers' published data as a source of rows: ``load_dataset(NAME, source=..., data_dir=PATH)``.

The strings (or words) are the peer's; every label is ours, recomputed with the task's own reference
(`labels_of` for a formal language, the Cayley table for a word problem), and the peer's own target
travels beside it in a ``peer_target`` column. A row the peer has that our task cannot label is refused,
all of them counted in one line, before anything is written. Two sources:

* ``source="sarrof"`` -- Sarrof, Veitsman & Hahn 2024's text files (`sarrof`);
* ``source="group_theory_collection"`` -- the word-problem folders of the Hub dataset
  BeeGass/Group-Theory-Collection (`group_theory_collection`).

>>> ds = load_peer_dataset("tomita4", source="sarrof", data_dir="ssm_expressivity/generated_ds",
...                        cache_root=Path("~/.cache/huggingface/datasets"))     # doctest: +SKIP
>>> ds["train"][0].keys()                                                        # doctest: +SKIP
dict_keys(['input_ids', 'labels', 'length', 'peer_target'])

Rows keep the contract of generated data (``input_ids``, ``labels`` with -100 where not scored, ``length``;
splits ``train``, ``validation``, ``test``, plus the extra test bins a source has; `load_dataset` adds an
empty split where the peer has none). The result is saved with
`datasets` (``save_to_disk``) under ``<cache>/hf_statetrack_peers/<source>-<task>-<key>``, the key a hash of
the task parameters, the files' names, sizes and modification times, and the code that labels them: a
second load is a memory-mapped read; an edited file or a changed labeller builds again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import datasets
import pyarrow as pa
from datasets.table import InMemoryTable

from ...core.errors import StateTrackError
from ...tasks import get_task
from ..registration import source_hash
from . import group_theory_collection, sarrof

SOURCES = {"sarrof": sarrof, "group_theory_collection": group_theory_collection}
CACHE_FOLDER = "hf_statetrack_peers"


def check_source(source, data_dir):
    """The source's module and data_dir as a resolved folder, or one line naming the expected layout."""
    reader = SOURCES.get(source)
    if reader is None:
        raise StateTrackError(f"unknown source {source!r}; sources: {', '.join(map(repr, SOURCES))}")
    if not isinstance(data_dir, (str, os.PathLike)):
        raise StateTrackError(f"source={source!r} needs data_dir= the folder of the peer's files ({reader.LAYOUT}), "
                              f"got {data_dir!r:.60}")
    folder = Path(data_dir).expanduser().resolve()
    if not folder.is_dir():
        raise StateTrackError(f"data_dir {folder} is not a folder; source={source!r} reads {reader.LAYOUT}")
    return reader, folder


def load_peer_dataset(name: str, *, source: str, data_dir, cache_root: Path, writable: bool = True,
                      **task_params) -> datasets.DatasetDict:
    """Read, label and check the peer's files of task `name` (see the module docstring); cached by `datasets`."""
    reader, folder = check_source(source, data_dir)
    task = get_task(name, **task_params)
    located = reader.locate(task, folder)  # one line naming the layout when the files are not there
    target = Path(cache_root).expanduser() / CACHE_FOLDER / f"{source}-{task.name}-{fingerprint(source, task, located)}"
    if (target / datasets.config.DATASETDICT_JSON_FILENAME).is_file():
        return datasets.load_from_disk(str(target))
    tables, note = reader.read(task, located)  # refuses rows our task cannot label, with a count
    if not tables:
        raise StateTrackError(f"{located.folder} holds no rows for {task.name}; expected {reader.LAYOUT}")
    description = f"{task.describe()}\n\nsource: {source}, {folder}\n{note}"
    result = as_dataset_dict(tables, description)
    if not writable:
        return result
    return save(result, target)


def fingerprint(source: str, task, located) -> str:
    files = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in located.files()]
    key = {"source": source, "task": task.name, "params": task.params, "files": files, "code": source_hash()}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def as_dataset_dict(tables: dict[str, pa.Table], description: str) -> datasets.DatasetDict:
    """Arrow tables -> DatasetDict of the splits with rows (the loader adds empty train / validation / test)."""
    features = datasets.Features.from_arrow_schema(next(iter(tables.values())).schema)
    return datasets.DatasetDict({
        split: datasets.Dataset(InMemoryTable(table), split=datasets.NamedSplit(split),
                                info=datasets.DatasetInfo(description=description, features=features))
        for split, table in tables.items()})


def save(result: datasets.DatasetDict, target: Path) -> datasets.DatasetDict:
    """Write beside the target, then rename: a reader never sees half a folder."""
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    bars = not datasets.utils.are_progress_bars_disabled()
    datasets.disable_progress_bars()  # a few small tables: no "Saving the dataset" bars
    try:
        result.save_to_disk(str(partial))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    finally:
        if bars:
            datasets.enable_progress_bars()
    try:
        partial.rename(target)
    except OSError:  # another process finished first: its copy is the same
        shutil.rmtree(partial, ignore_errors=True)
    return datasets.load_from_disk(str(target))


__all__ = ["SOURCES", "load_peer_dataset"]

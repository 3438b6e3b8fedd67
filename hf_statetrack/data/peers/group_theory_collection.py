"""``source="group_theory_collection"``: a local copy of the Hub dataset BeeGass/Group-Theory-Collection.

The layout relied on (its dataset card and its generator, github.com/BeeGass/Group-Dataset-Generator): not
parquet but one folder per group written by ``DatasetDict.save_to_disk``::

    <root>/data/<group>/dataset_dict.json           {"splits": ["train", "test"]}
                        train/data-0000i-of-0000n.arrow, dataset_info.json, state.json
                        test/...
                        metadata.json               (where shipped) {"permutation_map": {"0": [..], ...}}
    <root>/TC0/<group>, <root>/NC1/<group>          the same folders again, grouped by complexity class

with ``<group>`` ``s5``, ``a5``, ``c6`` (the generator's own output names them ``s5_data``, ...). Columns:
``input_sequence`` ("23 45 12": space-separated element ids, 3 to 1024 of them), ``target`` (the id of
the product, a string), ``sequence_length``, ``group_degree``, ``group_order``, ``group_type``.
``data_dir`` may be the root, one of ``data``/``TC0``/``NC1``, or the group's folder.

Element ids: id i is the i-th permutation of the generator's list, ``metadata.json``'s map where the folder
has one, else the generator's construction: S_n all permutations of 0..n-1 in lexicographic order (as
``itertools.permutations``), A_n the even ones in that order, C_n the rotations i -> i + k (mod n) for
k = 0..n-1. Other groups (dihedral, PSL, Mathieu, ...) are read only with a ``metadata.json``, and only where
the permutations form our group of that name (S_n, A_n; C_n is our Z_n).

Product: the generator folds ``result = result[p]`` over the word, so the target is p_1[p_2[...p_k]] as
arrays; the card says "apply p_1 first". Both hold when an array lists where each point comes from, which is
the inverse of our one-line notation (images). So their id i is our element ``inverse(p_i)``, and our running
product g_1·...·g_t ("apply g_1, then ...", `tasks.groups`) of the mapped word is the mapped target: every
row's target is checked, and a load whose targets disagree (another convention, a wrong map) is refused with
the count. In C_n id k is our Z_n element k (the rotation by k).

Rows: ``input_ids`` our element ids, ``labels`` our running products (every position, or the last one only
with ``label_mode="final"``), ``length`` the word length, ``peer_target`` their target id as published (an
int). Splits: ``train`` and ``test`` as published; ``validation`` is empty (the collection has none).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...core.errors import StateTrackError
from ...tasks.word_problem import WordProblemTask, running_products
from .rows import Located, Refused, final_only, rows_table

LAYOUT = ("<group>/dataset_dict.json with train/ and test/ written by datasets' save_to_disk (columns "
          "input_sequence, target), as BeeGass/Group-Theory-Collection's data/<group>, e.g. data/s5")
GROUP = re.compile(r"^([SAZ])(\d+)$")
COLUMNS = ("input_sequence", "target")
ROWS_PER_CHUNK = 4096


def their_name(task) -> str:
    """S5 -> "s5", A5 -> "a5", Z6 -> "c6" (their cyclic groups are C_n)."""
    match = GROUP.match(task.name) if isinstance(task, WordProblemTask) else None
    if match is None:
        raise StateTrackError(f"source='group_theory_collection' reads word problems of Sn, An and Zn (their cN); "
                              f"got task {task.name}")
    return ("c" if match[1] == "Z" else match[1].lower()) + match[2]


def locate(task, data_dir: Path) -> Located:
    name = their_name(task)
    roots = (data_dir, data_dir / "data", data_dir / "TC0", data_dir / "NC1")
    candidates = [data_dir] + [root / folder for root in roots for folder in (name, f"{name}_data")]
    folder = next((c for c in candidates if (c / datasets.config.DATASETDICT_JSON_FILENAME).is_file()), None)
    if folder is None:
        raise StateTrackError(f"data_dir {data_dir} does not hold {task.name}'s folder: expected "
                              f"{data_dir}/data/{name}/dataset_dict.json (layout: {LAYOUT})")
    splits = {split.name: tuple(sorted(split.glob("*"))) for split in sorted(folder.iterdir()) if split.is_dir()}
    meta = folder / "metadata.json"
    return Located(folder, splits, extra=(meta,) if meta.is_file() else ())


def their_permutations(task, folder: Path) -> np.ndarray:
    """(order, degree): row i = the array of their id i (see the module docstring)."""
    meta = folder / "metadata.json"
    if meta.is_file():
        mapping = json.loads(meta.read_text()).get("permutation_map") or {}
        return np.array([mapping[str(i)] for i in range(len(mapping))], dtype=np.int64)
    group = task.group
    if group.permutations is not None:  # S_n and A_n: our elements are theirs, in the same lexicographic order
        return group.permutations.astype(np.int64)
    n = group.order  # Z_n: rotations
    return (np.arange(n)[None, :] + np.arange(n)[:, None]) % n


def our_ids(task, perms: np.ndarray) -> np.ndarray:
    """their id -> our element id, or -1 where a permutation is no element of our group."""
    group = task.group
    if group.permutations is None:  # Z_n: the rotation by k is element k
        rotations = (np.arange(perms.shape[1])[None, :] + perms[:, :1]) % perms.shape[1]
        ok = (perms == rotations).all(axis=1) & (perms.shape[1] == group.order)
        return np.where(ok, perms[:, 0], -1)
    index = {tuple(p): i for i, p in enumerate(group.permutations.tolist())}
    inverses = np.argsort(perms, axis=1)
    return np.array([index.get(tuple(p), -1) for p in inverses.tolist()], dtype=np.int64)


def parse_words(table: pa.Table, where: str, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat ids, offsets, targets) of a split, by Arrow kernels: no per-token Python."""
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise StateTrackError(f"{where} has no column {missing[0]!r} (columns: {', '.join(table.column_names)}); "
                              f"expected {LAYOUT}")
    orders = pc.unique(table.column("group_order")).to_pylist() if "group_order" in table.column_names else []
    if any(o != order for o in orders):  # S3's ids are S4's first six: only the order tells them apart
        raise StateTrackError(f"{where} holds a group of order {orders[0]}, not {order}: pick the task of that group")
    words = pc.ascii_split_whitespace(pc.utf8_trim_whitespace(table.column("input_sequence").combine_chunks()))
    try:
        flat = pc.cast(words.flatten(), pa.int64()).to_numpy()
        targets = pc.cast(table.column("target"), pa.int64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise StateTrackError(f"{where}: input_sequence and target must hold integer element ids "
                              f"({LAYOUT})") from None
    return flat, words.offsets.to_numpy().astype(np.int64), targets


def read(task, located: Located):
    """{split: Arrow table} and a note for the dataset description; refuses rows whose target disagrees."""
    try:
        published = datasets.load_from_disk(str(located.folder))
    except (FileNotFoundError, ValueError) as err:
        raise StateTrackError(f"{located.folder} is not a save_to_disk folder ({err}); expected {LAYOUT}") from None
    perms = their_permutations(task, located.folder)
    mapping = our_ids(task, perms)
    if len(perms) != task.group.order or (mapping < 0).any():
        raise StateTrackError(f"{located.folder}: their {len(perms)} elements are not the elements of our "
                              f"{task.name} (order {task.group.order}); pick the task of that group")
    refused = Refused(f"rows of {located.folder.name} do not agree with our {task.name} (an id outside 0.."
                      f"{len(perms) - 1}, or a target that is not the product)")
    tables = {}
    for split, dataset in published.items():
        flat, offsets, targets = parse_words(dataset.data.table, f"{located.folder.name}/{split}", task.group.order)
        if len(targets):  # datasets cannot read back a split with no rows
            tables[split] = split_table(task, mapping, flat, offsets, targets, refused, split)
    refused.raise_if_any("check that data_dir holds this group's folder, with its own metadata.json if it has one")
    inverse = "the inverse of " if task.group.permutations is not None else ""
    return tables, (f"splits: {', '.join(f'{s} ({t.num_rows} rows)' for s, t in tables.items())}\n"
                    f"peer_target: their target id as published (their id i = our element {inverse}their "
                    f"permutation i)")


def split_table(task, mapping, flat, offsets, targets, refused: Refused, split: str) -> pa.Table:
    """Our ids and running products, chunk by chunk of rows (each padded to its longest word)."""
    chunks = []
    for start in range(0, len(targets), ROWS_PER_CHUNK):
        stop = min(start + ROWS_PER_CHUNK, len(targets))
        seq_lens = np.diff(offsets[start:stop + 1])
        inputs = np.zeros((stop - start, int(seq_lens.max(initial=1))), dtype=np.int64)  # pad: identity
        inside = np.arange(inputs.shape[1]) < seq_lens[:, None]
        word = flat[offsets[start]:offsets[stop]]
        valid = (word >= 0) & (word < len(mapping))
        inputs[inside] = np.where(valid, mapping[np.where(valid, word, 0)], 0)
        states = running_products(task.group.cayley_table, inputs.T.astype(np.uint16)).T.astype(np.int64)
        rows = np.arange(len(seq_lens))
        bad_id = np.zeros(len(seq_lens), dtype=bool)
        np.logical_or.at(bad_id, np.repeat(rows, seq_lens), ~valid)
        target = targets[start:stop]
        known = (target >= 0) & (target < len(mapping))
        ours = states[rows, np.maximum(seq_lens - 1, 0)]
        wrong = bad_id | ~known | (seq_lens == 0) | (ours != mapping[np.where(known, target, 0)])
        refused.total += len(rows)
        if wrong.any():
            refused.add(f"{split} row {start + int(np.argmax(wrong))}", int(wrong.sum()))
        labels = final_only(states, seq_lens) if task.label_mode == "final" else states
        table = rows_table(task, inputs, labels, seq_lens)
        chunks.append(table.append_column("peer_target", pa.array(target, type=pa.int32())))
    return pa.concat_tables(chunks)

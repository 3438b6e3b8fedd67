"""``source="sarrof"``: the text files of Sarrof, Veitsman & Hahn 2024 (github.com/lacoco-lab/ssm_expressivity).

The layout relied on (read from the public repository's ``generated_ds/``, 27 language folders)::

    generated_ds/<Language>/train_src.txt      one string per line, its symbols written side by side
                            train_tgt.txt      line i = the target of line i of train_src.txt
                            val_src_bin<k>.txt the k-th test bin's strings (k = 0, 1, ...)
                            val_tgt_bin<k>.txt its targets

A target line holds one chunk per input symbol, all chunks of one width: a bit vector ("next symbols",
"close allowed"), a membership bit, or one letter (see `tasks.formal_languages.framing`). Tomita 4::

    train_src.txt   1000110          train_tgt.txt   11111111110111
                    (7 symbols)                      (7 chunks of 2 bits: may 0 / may 1 follow)

Folders are named as in `FOLDERS` ("Tomita-4", "AAStar", "D-12", ...). ``data_dir`` may be
``generated_ds`` itself, the repository root above it, or one language's folder.

Splits: ``train_*`` -> ``train``; bin 0 (lengths of the training range) -> ``validation``; bin 1 (the first
longer bin) -> ``test``; bin k >= 2 -> ``test_bin<k>``. Some folders ship a target file without its strings
(``val_tgt_bin2.txt`` of Parity, (aa)*, (aaaa)*, (abab)*; bin 3 of Boolean-3/5, Shuffle-2/4): such a file is
left out and named in the dataset description.

Each string keeps its symbols (``input_ids``); ``labels`` are ours, recomputed in the task's
``label_framing`` (continuation sets, or the peer's coarser targets with ``"sarrof"``); ``peer_target`` holds
the peer's published line as class ids of the framing that writes their files (``task.target_ids`` of
``"sarrof_as_published"`` for Tomita 3, ``"sarrof"`` elsewhere; -1 for a chunk that is no target of it), so
the line comes back exactly; with a Sarrof ``label_framing`` the description counts the rows whose published
target differs from ours (Tomita 3 and {0,1,2}*02*: see `tasks.formal_languages.framing`), and every split
the strings it shares with train (kept as published: bin 0 often repeats training strings). A string our task
rejects (a prefix leaves the language, or the whole string is not in it) refuses the whole load, with the count.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ...core.errors import StateTrackError
from ...tasks import IGNORE, get_task
from ...tasks.formal_languages.base import END
from .rows import Located, Refused, padded, rows_table

LAYOUT = ("generated_ds/<Language>/{train,val}_{src,tgt}*.txt as in lacoco-lab/ssm_expressivity: train_src.txt, "
          "train_tgt.txt, val_src_bin<k>.txt, val_tgt_bin<k>.txt, one string (or its target) per line")

FOLDERS = {  # our task name -> the peer's folder
    **{f"tomita{i}": f"Tomita-{i}" for i in range(1, 8)},
    **{f"d{n}": f"D-{n}" for n in (2, 3, 4, 12)},
    **{f"shuffle{k}": f"Shuffle{k}" for k in (2, 4, 6)},
    "boolean3": "Boolean3", "boolean5": "Boolean5", "dyck1": "Dyck1", "parity": "Parity",
    "anbn": "anbn", "anbncn": "anbncn", "anbncndn": "anbncndn",
    "aa_star": "AAStar", "aaaa_star": "AAAAStar", "abab_star": "ABABStar",
    "abcde_star": "AAStarBBStarCCStarDDStarEEStar", "abd_star": "ABStar_D_BCStar", "zero_one_two": "012Star_0_2Star",
}
BIN = re.compile(r"^val_src_bin(\d+)\.txt$")


def split_of_bin(k: int) -> str:
    return {0: "validation", 1: "test"}.get(k, f"test_bin{k}")


def locate(task, data_dir: Path) -> Located:
    folder_name = FOLDERS.get(task.name)
    if folder_name is None:
        raise StateTrackError(f"source='sarrof' has no files for task {task.name}; its languages: "
                              f"{', '.join(sorted(FOLDERS))}")
    candidates = (data_dir / folder_name, data_dir / "generated_ds" / folder_name, data_dir)
    folder = next((c for c in candidates if (c / "train_src.txt").is_file()), None)
    if folder is None or not (folder / "train_tgt.txt").is_file():
        raise StateTrackError(f"data_dir {data_dir} does not hold the peer's {task.name} files: expected "
                              f"{data_dir}/{folder_name}/train_src.txt and train_tgt.txt (layout: {LAYOUT})")
    splits = {"train": (folder / "train_src.txt", folder / "train_tgt.txt")}
    bins = sorted((int(m[1]), p) for p in folder.glob("val_src_bin*.txt") if (m := BIN.match(p.name)))
    unused = []
    for k, src in bins:
        tgt = folder / f"val_tgt_bin{k}.txt"
        if tgt.is_file():
            splits[split_of_bin(k)] = (src, tgt)
        else:
            unused.append(src.name)
    sources = {p.name for paths in splits.values() for p in paths}
    unused += sorted(p.name for p in folder.glob("val_tgt_bin*.txt") if p.name not in sources)
    return Located(folder, splits, unused)


def read_pairs(src: Path, tgt: Path) -> list[tuple[str, str]]:
    strings, targets = src.read_text().splitlines(), tgt.read_text().splitlines()
    if len(strings) != len(targets):
        raise StateTrackError(f"{src.name} has {len(strings)} lines but {tgt.name} has {len(targets)}: the peer's "
                              f"files pair line by line ({LAYOUT})")
    return list(zip(strings, targets))


def published_framing(name: str, params: dict):
    """The task in the framing that writes the peer's files: "sarrof_as_published" where offered (Tomita 3,
    whose published targets carry their automaton's mistake), else "sarrof"."""
    try:
        return get_task(name, **params, label_framing="sarrof_as_published")
    except StateTrackError:
        return get_task(name, **params, label_framing="sarrof")


class Labeller:
    """Our labels in the task's framing, the membership test, and the peer target's class ids."""

    def __init__(self, task):
        params = {k: v for k, v in task.params.items() if k != "label_framing"}
        self.task = task
        self.ours = get_task(task.name, **params)  # continuation sets: "$" says the string is in the language
        self.peer = published_framing(task.name, params)
        self.label_ids = {label: i for i, label in enumerate(task.label_vocab)}
        self.symbol_ids = {symbol: i for i, symbol in enumerate(task.vocab)}

    def labels(self, text: str) -> list[int] | None:
        """Class ids of `text`'s labels, or None when the string is not in the language."""
        try:
            sets = self.ours.labels_of(text)
        except StateTrackError:  # an unknown symbol, or a prefix that leaves the language
            return None
        if not text or not sets[-1].endswith(END):
            return None
        labels = sets if self.task.label_framing == "continuation" else self.task.labels_of(text)
        return [self.label_ids[label] for label in labels]

    def differ(self, labels: list[int], target: list[int]) -> bool:
        """Does the published target differ from our label (compared as written, in a Sarrof framing)?"""
        if self.task.label_framing == "continuation":
            return False
        return [self.task.label_vocab[i] for i in labels] != [self.peer.label_vocab[i] for i in target]

    def peer_target(self, text: str, line: str) -> list[int] | None:
        try:
            ids = self.peer.target_ids(line)
        except StateTrackError:  # not a whole number of chunks
            return None
        return ids if len(ids) == len(text) else None


def read(task, located: Located):
    """{split: Arrow table} and a note for the dataset description; refuses strings not in the language."""
    labeller = Labeller(task)
    outside = Refused(f"strings are not in {task.name}")
    malformed = Refused(f"target lines do not hold one {len(labeller.peer.label_vocab[0])}-character chunk per "
                        f"symbol")
    splits, counts, differ = {}, [], 0
    for split, (src, tgt) in located.splits.items():
        rows = []
        for number, (text, line) in enumerate(read_pairs(src, tgt), start=1):
            outside.total, malformed.total = outside.total + 1, malformed.total + 1
            labels, target = labeller.labels(text), labeller.peer_target(text, line)
            if labels is None:
                outside.add(f"{src.name} line {number}: {text!r:.40}")
            elif target is None:
                malformed.add(f"{tgt.name} line {number}: {line!r:.40}")
            else:
                rows.append(([labeller.symbol_ids[c] for c in text], labels, target))
                differ += labeller.differ(labels, target)
        splits[split] = rows
        counts.append(f"{split} <- {src.name} ({len(rows)} rows)")
    outside.raise_if_any(f"data_dir must hold {task.name}'s own folder ({FOLDERS[task.name]})")
    malformed.raise_if_any("the targets must be written as in the peer's files")
    tables = {split: table(task, rows) for split, rows in splits.items() if rows}
    peer = labeller.peer
    note = [f"splits: {'; '.join(counts)}",
            f"peer_target: the peer's target as class ids of {peer.label_vocab} ({peer.label_framing})"]
    if task.label_framing != "continuation":
        note.append(f"rows whose published target differs from ours: {differ}")
    note.append(f"strings also in train (kept, as published): {repeats(splits)}")
    if located.unused:
        note.append(f"left out (no partner file): {', '.join(located.unused)}")
    return tables, "\n".join(note)


def repeats(splits: dict[str, list]) -> str:
    """"validation 78, test 0": the peer's bins may repeat training strings (bin 0 often does)."""
    train = {tuple(ids) for ids, _, _ in splits.get("train", [])}
    return ", ".join(f"{split} {sum(tuple(ids) in train for ids, _, _ in rows)}"
                     for split, rows in splits.items() if split != "train") or "no other split"


def table(task, rows):
    inputs, labels, targets = zip(*rows)
    seq_lens = np.array([len(r) for r in inputs], dtype=np.int64)
    return rows_table(task, padded(list(inputs), 0), padded(list(labels), IGNORE), seq_lens,
                      {"peer_target": padded(list(targets), IGNORE)})

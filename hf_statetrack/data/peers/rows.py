"""What both peer sources share: the files found, the refusal line, and rows as Arrow tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ...core.errors import StateTrackError
from ...tasks import IGNORE, Batch
from ..builder import token_dtype
from ..generate import batch_to_table


@dataclass
class Located:
    """The peer's files of one task: our split name -> its files, other files read, files found but not used."""

    folder: Path
    splits: dict[str, tuple[Path, ...]]
    unused: list[str] = field(default_factory=list)  # e.g. a target file without its strings
    extra: tuple[Path, ...] = ()  # read besides the splits (a map of element ids)

    def files(self) -> list[Path]:
        return [p for paths in self.splits.values() for p in paths] + list(self.extra)


@dataclass
class Refused:
    """Rows the peer has that our task cannot take, counted over every file before one line is raised."""

    what: str  # "strings are not in tomita4"
    total: int = 0
    count: int = 0
    first: str = ""  # "train_src.txt line 12: '1000'"

    def add(self, place: str, count: int = 1) -> None:
        self.first = self.first or place
        self.count += count

    def raise_if_any(self, fix: str) -> None:
        if self.count:
            raise StateTrackError(f"{self.count} of {self.total} {self.what} (first: {self.first}); {fix}")


def padded(rows: list[list[int]], fill: int) -> np.ndarray:
    """Ragged rows -> (N, T) int64, `fill` after each row's end."""
    out = np.full((len(rows), max(map(len, rows), default=0)), fill, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, :len(row)] = row
    return out


def rows_table(task, input_ids: np.ndarray, labels: np.ndarray, seq_lens: np.ndarray,
               extras: dict[str, np.ndarray] | None = None) -> pa.Table:
    """Padded (N, T) arrays -> the Arrow rows of the package contract (`length` = number of symbols)."""
    batch = Batch(input_ids, labels, seq_lens, seq_lens, extras or {})
    return batch_to_table(batch, np.dtype(token_dtype(task)))


def final_only(labels: np.ndarray, seq_lens: np.ndarray) -> np.ndarray:
    """label_mode="final": -100 everywhere but each row's last position."""
    out = np.full(labels.shape, IGNORE, dtype=np.int64)
    rows = np.arange(len(seq_lens))
    out[rows, seq_lens - 1] = labels[rows, seq_lens - 1]
    return out

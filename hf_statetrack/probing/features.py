"""What a probe reads: the hidden state of every layer at the positions where a model must know the state.

Rows for probing carry ``input_ids``, ``positions`` (token indices to read) and ``classes`` (the state
at each of them), plus ``length``:

* token checkpoints (`statetrack train`): every scored position, class = its label::

      S3 row  input_ids 3 1 4   labels 3 2 0   ->  positions [0, 1, 2], classes [3, 2, 0]

* text (any causal LM): for every scored position, the last token of the text that fixes its state
  (``state_ends`` of `text_view`: the end of its input symbol; for transduction outputs, the text
  before the answer), class = that state (``state_labels``). Intermediate states need not be written::

      S3, answers="final":  "<bos> 231 132 312 = 123"  ->  positions: the last tokens of "231", " 132", " 312"

`collect_features` runs the frozen model over the rows and writes every layer's rows (embeddings, then
each block's output) to one float32 ``.npy`` memmap of shape (layers, probe positions, hidden), so the
features never need to fit in memory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..runtime.checkpoints import remap
from ..runtime.tagging import TaggingCollator
from ..tasks import IGNORE
from ..text import text_view, tokenize_text

PROBE_COLUMNS = ["input_ids", "length", "positions", "classes"]


def scored_positions(batch: dict) -> dict:
    """`datasets.map(batched=True)` body for token rows: every position with a label, and that label."""
    positions = [[t for t, label in enumerate(labels) if label != IGNORE] for labels in batch["labels"]]
    return {"positions": positions,
            "classes": [[labels[t] for t in where] for labels, where in zip(batch["labels"], positions)]}


def token_rows(split, token_map: np.ndarray, num_classes: int):
    """Token rows of the task -> probe rows in the checkpoint's token ids; classes stay the task's label ids."""
    mapped = remap(split, token_map, np.arange(num_classes))
    return mapped.map(scored_positions, batched=True, desc="finding probe positions")


def last_tokens_before(offsets, ends) -> list[int]:
    """For each character offset in `ends`, the index of the last real token starting before it.

    >>> last_tokens_before([(0, 0), (0, 3), (3, 7), (7, 9)], [3, 7, 9])  # a BOS, then "231", " 132", " =" ...
    [1, 2, 3]
    """
    offsets = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    real = np.flatnonzero(offsets[:, 1] > offsets[:, 0])  # special tokens have empty offsets
    return real[np.searchsorted(offsets[real, 0], np.asarray(ends), side="left") - 1].tolist()


def state_positions(batch: dict, tokenizer) -> dict:
    """`datasets.map(batched=True)` body for text rows: token ids, probe positions and their states.

    `tokenize_text` does the tokenizing, so a tokenizer that cannot render the task fails as it does there."""
    encoded = tokenize_text(batch, tokenizer, keep_offsets=True)
    return {"input_ids": encoded["input_ids"], "classes": batch["state_labels"],
            "positions": [last_tokens_before(o, e) for o, e in zip(encoded["offset_mapping"], batch["state_ends"])]}


def text_rows(split, task, tokenizer, answers: str):
    """Token rows of the task -> text (`text_view`) -> probe rows."""
    text = text_view(split, task, answers)
    return text.map(state_positions, batched=True, fn_kwargs={"tokenizer": tokenizer},
                    desc="finding probe positions").select_columns(PROBE_COLUMNS)


class ProbeCollator:
    """Right-padded input_ids + attention_mask, and the (row in batch, position) pairs to read."""

    def __init__(self, pad_token_id: int):
        self.pad = TaggingCollator(pad_token_id)

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        batch = self.pad(features)
        batch["rows"] = torch.tensor([i for i, f in enumerate(features) for _ in f["positions"]], dtype=torch.long)
        batch["positions"] = torch.tensor([p for f in features for p in f["positions"]], dtype=torch.long)
        return batch


@torch.inference_mode()
def collect_features(model, rows, pad_token_id: int, path: Path, *, device, batch_size: int = 32,
                     desc: str = "features") -> np.ndarray:
    """Forward `rows` through the frozen backbone; returns the (layers, positions, hidden) float32 memmap at `path`.

    Feature i is the i-th entry of the rows' ``positions`` flattened in row order, so the probe's classes,
    lengths and answer indices come from the same rows in the same order.
    """
    backbone = model.base_model.to(device).eval()  # no LM head: (B, T, vocab) logits are not needed
    total = sum(len(p) for p in rows["positions"])
    loader = DataLoader(rows.select_columns(["input_ids", "positions"]), batch_size=batch_size,
                        collate_fn=ProbeCollator(pad_token_id))
    features, filled = None, 0
    for batch in tqdm(loader, desc=desc):
        out = backbone(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device),
                       output_hidden_states=True, use_cache=False)
        where = batch["rows"].to(device), batch["positions"].to(device)
        picked = torch.stack([h[where] for h in out.hidden_states])  # (L, n, H)
        if features is None:
            features = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                                 shape=(picked.shape[0], total, picked.shape[2]))
        features[:, filled:filled + picked.shape[1]] = picked.float().cpu().numpy()
        filled += picked.shape[1]
    features.flush()
    return features


def feature_labels(rows) -> dict[str, np.ndarray]:
    """Per feature, in `collect_features` order: its class, its row's length, and which answer of the row it is."""
    counts = [len(p) for p in rows["positions"]]
    return {"classes": np.concatenate(rows["classes"]).astype(np.int64),
            "length": np.repeat(np.asarray(rows["length"], dtype=np.int64), counts),
            "position": np.concatenate([np.arange(n) for n in counts])}

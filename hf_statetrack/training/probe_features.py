"""What a probe reads: the hidden state of every layer at the positions where a model must know the state.

Rows for probing carry ``input_ids``, ``labels`` (only for padding), ``positions`` (token indices to
read) and ``classes`` (the state at each of them), plus ``length``:

* token checkpoints (`statetrack train`): every scored position, class = its label::

      S3 row  input_ids 3 1 4   labels 3 2 0   ->  positions [0, 1, 2], classes [3, 2, 0]

* text (any causal LM): the token *before* the first token of answer j, where the model has to produce
  answer j, class = its state (``answer_labels[j]``)::

      "<bos> 1 = 1 1 = 0"  answers " 1" and " 0"  ->  positions: the tokens " =" before each answer

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

from ..data.text_format import split_labels, text_view, tokenize_text
from ..tasks import IGNORE
from .checkpoint_eval import remap
from .collator import TaggingCollator

PROBE_COLUMNS = ["input_ids", "labels", "length", "positions", "classes"]


def scored_positions(batch: dict) -> dict:
    """`datasets.map(batched=True)` body for token rows: every position with a label, and that label."""
    positions = [[t for t, label in enumerate(labels) if label != IGNORE] for labels in batch["labels"]]
    return {"positions": positions,
            "classes": [[labels[t] for t in where] for labels, where in zip(batch["labels"], positions)]}


def token_rows(split, token_map: np.ndarray, num_classes: int):
    """Token rows of the task -> probe rows in the checkpoint's token ids; classes stay the task's label ids."""
    mapped = remap(split, token_map, np.arange(num_classes))
    return mapped.map(scored_positions, batched=True, desc="finding probe positions")


def answer_positions(labels, vocab_size: int) -> list[int]:
    """Answer-tagged labels (see `tokenize_text`) -> for each answer, the token before its first token.

    >>> V = 100  # labels are token_id + V * answer_index inside answers, -100 elsewhere
    >>> answer_positions([-100, -100, 7, -100, -100, 108, 109], V)
    [1, 4]
    """
    _, answer = split_labels(np.asarray(labels), vocab_size)
    scored = np.flatnonzero(answer != IGNORE)
    _, first = np.unique(answer[scored], return_index=True)  # first token of each answer, in answer order
    return (scored[first] - 1).tolist()


def text_positions(batch: dict, vocab_size: int) -> dict:
    return {"positions": [answer_positions(labels, vocab_size) for labels in batch["labels"]],
            "classes": batch["answer_labels"]}


def text_rows(split, task, tokenizer, answers: str):
    """Token rows of the task -> text (`text_view`) -> tokens (`tokenize_text`) -> probe rows."""
    text = text_view(split, task, answers)
    tokens = text.map(tokenize_text, batched=True, fn_kwargs={"tokenizer": tokenizer}, desc="tokenizing")
    rows = tokens.map(text_positions, batched=True, fn_kwargs={"vocab_size": len(tokenizer)},
                      desc="finding probe positions")
    return rows.select_columns(PROBE_COLUMNS)


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
    loader = DataLoader(rows.select_columns(["input_ids", "labels", "positions"]), batch_size=batch_size,
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

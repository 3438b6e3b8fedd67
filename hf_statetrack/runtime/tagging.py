"""Token tagging with the transformers Trainer, shared by training, checkpoint evaluation and probes:
batches (inputs right-padded with the pad id, labels -100 where not scored), logits reduced to class ids
on the device, and the evaluation of one split by length."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..stats.scoring import compute_metrics
from ..tasks import IGNORE


@dataclass
class TaggingCollator:
    """Pads to the longest row of the batch; extra columns (e.g. ``length``) are dropped, labels are optional."""

    pad_token_id: int

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(f["input_ids"]) for f in features)
        input_ids = torch.full((len(features), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(features), width), IGNORE, dtype=torch.long)
        attention_mask = torch.zeros((len(features), width), dtype=torch.long)
        for i, f in enumerate(features):
            n = len(f["input_ids"])
            input_ids[i, :n] = torch.as_tensor(f["input_ids"])
            if "labels" in f:
                labels[i, :n] = torch.as_tensor(f["labels"])
            attention_mask[i, :n] = 1
        batch = {"input_ids": input_ids, "attention_mask": attention_mask}
        return {**batch, "labels": labels} if "labels" in features[0] else batch


def argmax_logits(logits, labels):
    """Reduce logits to class ids on the device, so evaluation never holds (N, T, C) floats."""
    if isinstance(logits, tuple):
        logits = logits[0]
    return logits.argmax(dim=-1)


def as_is(predictions, labels):
    """Token pipeline: predictions and labels are already per-position class ids."""
    return predictions, labels


def evaluate_split(trainer, dataset, threshold: float, to_scored=as_is, binning=None) -> dict:
    """`scoring.compute_metrics` of the trainer's predictions on `dataset`, by its `length` column (and
    `binning`, a `length_bins.Binning`; None: bins of 20 rows)."""
    prediction = trainer.predict(dataset, metric_key_prefix="final")
    predictions, labels = to_scored(prediction.predictions, prediction.label_ids)
    return compute_metrics(predictions, labels, lengths=np.asarray(dataset["length"]), threshold=threshold,
                           binning=binning)


def test_label(length) -> str:
    """The split name of an extra test set: 16 -> "test@16", (20, 40) -> "test@20-40"."""
    return f"test@{length if isinstance(length, int) else '-'.join(map(str, length))}"

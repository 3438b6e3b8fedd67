"""Batches for token tagging: inputs right-padded with the pad id, labels with -100 (never scored)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

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

"""Linear probes: multinomial logistic regression on features that may not fit in memory.

Features are a (rows, hidden) array, usually an `np.memmap` of one layer. They are standardised with
the mean and standard deviation of the *train* features (streamed in chunks, merged with Chan's
formula), then a `nn.Linear` is trained with cross entropy and AdamW for a fixed number of epochs on
shuffled mini-batches read from the array. A probe is deterministic given its seed.

>>> x = np.array([[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]], dtype=np.float32)
>>> probe = fit_probe(x, np.array([0, 1, 0, 1]), num_classes=2, epochs=20, batch_size=2)
>>> probe.predict(x).tolist()
[0, 1, 0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

CHUNK_ROWS = 8192  # rows read at once for statistics and predictions: (8192, 4096) float32 = 128 MiB
MIN_STD = 1e-6  # a feature constant on the train rows is only centred (its std counts as 1)


def streaming_mean_std(x, chunk_rows: int = CHUNK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and (population) std of a (rows, hidden) array, reading `chunk_rows` rows at a time.

    Chunks are merged with Chan et al.'s pairwise update in float64, which stays exact where the naive
    sum-of-squares formula cancels catastrophically (large means, small spreads). Constant columns get std 1.
    """
    count, mean, m2 = 0, np.zeros(x.shape[1]), np.zeros(x.shape[1])
    for start in range(0, len(x), chunk_rows):
        block = np.asarray(x[start:start + chunk_rows], dtype=np.float64)
        n, block_mean = len(block), block.mean(axis=0)
        delta, total = block_mean - mean, count + n
        mean += delta * n / total
        m2 += ((block - block_mean) ** 2).sum(axis=0) + delta**2 * count * n / total
        count = total
    std = np.sqrt(m2 / max(count, 1))
    return mean.astype(np.float32), np.where(std > MIN_STD, std, 1.0).astype(np.float32)


@dataclass
class LinearProbe:
    """A fitted probe: standardise with the train statistics, then one linear layer."""

    linear: nn.Linear
    mean: torch.Tensor  # (hidden,)
    std: torch.Tensor  # (hidden,)

    def logits(self, rows: np.ndarray) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(rows, dtype=np.float32), device=self.mean.device)
        return self.linear((x - self.mean) / self.std)  # (n, classes)

    @torch.no_grad()
    def predict(self, x, chunk_rows: int = CHUNK_ROWS) -> np.ndarray:
        """Class ids for every row of a (rows, hidden) array, read in chunks."""
        return np.concatenate([self.logits(x[s:s + chunk_rows]).argmax(-1).cpu().numpy()
                               for s in range(0, len(x), chunk_rows)])


def fit_probe(x, labels: np.ndarray, num_classes: int, *, epochs: int = 50, batch_size: int = 256,
              learning_rate: float = 1e-2, weight_decay: float = 1e-4, seed: int = 0,
              device: str | torch.device = "cpu") -> LinearProbe:
    """Train a probe on a (rows, hidden) array and its class ids; the learning rate decays to 0 (cosine).

    Weights start at zero, so the result depends on the seed only through the mini-batch order.
    Each mini-batch's row ids are sorted before reading, so a memmap is read front to back.
    """
    mean, std = (torch.from_numpy(a).to(device) for a in streaming_mean_std(x))
    linear = nn.Linear(x.shape[1], num_classes).to(device)
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)
    probe = LinearProbe(linear, mean, std)
    targets = torch.as_tensor(labels, dtype=torch.long)
    steps_per_epoch = -(-len(labels) // batch_size)
    optimizer = torch.optim.AdamW(linear.parameters(), lr=learning_rate, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs * steps_per_epoch))
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator).numpy()
        for start in range(0, len(order), batch_size):
            rows = np.sort(order[start:start + batch_size])
            loss = nn.functional.cross_entropy(probe.logits(x[rows]), targets[rows].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    return probe

"""Training steps timed interleaved in one process (architectures.py, mamba_speed.py).

Round r times one step of every model in turn, so load from other processes on a shared machine falls on all
of them alike; round 0 warms up and is not kept.
"""

from __future__ import annotations

import time


def make_step(model, ids, labels, before=None):
    """One forward + backward + AdamW update of a token tagger; returns its seconds. `before()` runs first
    (e.g. to pick a code path by environment variable) and is not timed."""
    import torch

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step() -> float:
        if before is not None:
            before()
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        model(input_ids=ids, labels=labels).loss.backward()
        optimizer.step()
        return time.perf_counter() - start

    return step


def time_rounds(steps: dict, rounds: int, progress: bool = False) -> dict[str, list[float]]:
    """name -> the seconds of its step in each of `rounds` timed rounds (after one warm-up round)."""
    times = {name: [] for name in steps}
    for round_ in range(rounds + 1):
        for name, step in steps.items():
            seconds = step()
            if round_:
                times[name].append(seconds)
        if progress:
            print(f"round {round_} done", flush=True)
    return times

"""Flip-flop language modelling (Liu et al. 2023, "Exposing Attention Glitches with Flip-Flop Language Modeling").

A string is ``length`` instructions, each followed by a bit: ``w`` writes the bit to a one-bit memory,
``r`` must be followed by the bit last written, ``i`` is ignored (its bit is noise). Only the read bits
are scored; the label sits on the ``r`` token, because the label at position t is predicted from
tokens <= t (on the bit token itself the model could copy its input)::

    input_ids : w  1  i  0  r  1  w  0  i  1  r  0
    labels    : -  -  -  -  1  -  -  -  -  -  0  -          (- = -100)

FFL(p), the paper's canonical distribution: the first instruction is ``w``, the last is ``r``, the
others are i.i.d. with P(i) = p and P(w) = P(r) = (1 - p) / 2; bits after ``w`` and ``i`` are uniform.
``flip_flop`` takes p (default 0.8, the paper's training distribution); ``flip_flop_sparse`` (p = 0.98)
and ``flip_flop_dense`` (p = 0.1) are its test distributions, with the same vocabulary.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import StateTrackError
from .base import IGNORE, Batch, Task
from .chomsky.transduction import example_lines
from .registry import register_task

INSTR_W, INSTR_R, INSTR_I, ZERO = 0, 1, 2, 3  # token ids of w, r, i; bit b is token ZERO + b


class FlipFlopTask(Task):
    """FFL(p) with token tagging on the read instructions."""

    family = "flip_flop"
    level = "regular"
    min_length = 2  # a write and a read
    # Liu et al.: sequences of 512 tokens (256 instructions); the sparse and dense tasks are the OOD tests
    protocol = {"train_length": (256, 256), "test_length": (256, 256)}
    name = "flip_flop"
    vocab = ["w", "r", "i", "0", "1"]
    label_vocab = ["0", "1"]

    def __init__(self, p: float = 0.8):
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise StateTrackError(f"p (the probability of the ignore instruction) must be a number in [0, 1), "
                                  f"got {p!r}; the paper uses 0.8 for training, 0.98 and 0.1 for testing")
        self.p = float(p)

    @property
    def params(self) -> dict:
        return {"p": self.p}

    def properties(self) -> dict:
        return {"star_free": True, "regular": True, "context_free": True}

    def num_strings(self, length: int) -> int:
        return 2 * 5 ** (length - 2) if length >= 2 else 0  # inner instructions: w0 w1 i0 i1 r

    def sample(self, rng: np.random.Generator, lengths: np.ndarray) -> Batch:
        lengths = np.asarray(lengths)
        n, width = len(lengths), int(lengths.max(initial=0))
        steps = np.arange(width)
        u = rng.random((n, width))
        instr = np.where(u < self.p, INSTR_I, np.where(u < self.p + (1 - self.p) / 2, INSTR_W, INSTR_R))
        instr[:, 0] = INSTR_W
        instr[np.arange(n), lengths - 1] = INSTR_R
        bits = rng.integers(0, 2, size=(n, width), dtype=np.uint16)
        last_write = np.maximum.accumulate(np.where(instr == INSTR_W, steps, 0), axis=1)  # instruction 0 is a write
        bits = np.where(instr == INSTR_R, np.take_along_axis(bits, last_write, axis=1), bits)
        input_ids = np.empty((n, 2 * width), dtype=np.int16)
        input_ids[:, 0::2], input_ids[:, 1::2] = instr, ZERO + bits
        labels = np.full((n, 2 * width), IGNORE, dtype=np.int16)
        labels[:, 0::2] = np.where((instr == INSTR_R) & (steps < lengths[:, None]), bits, IGNORE)
        return Batch(input_ids, labels, lengths, 2 * lengths)

    def one_line(self) -> str:
        return f"{self.name:<28} regular, star-free: recall the last written bit at each read (FFL({self.p:g}))"

    def describe(self) -> str:
        return "\n".join([
            f"{self.name}: flip-flop language FFL({self.p:g}), regular and star-free (Liu et al. 2023)",
            f"family: {self.family}; vocab: {' '.join(self.vocab)} (instructions write/read/ignore, then a bit)",
            "labels: on each r token, the bit that must follow it (the last written bit); -100 elsewhere",
            f"sampling: first w, last r; the rest i.i.d. with P(i) = {self.p:g}, P(w) = P(r) = {(1 - self.p) / 2:g}; "
            "bits after w and i uniform",
            "length: the number of instructions (a row has 2 * length tokens)",
            "examples (length 8; - = -100, not scored):",
            *example_lines(self, 8),
        ])


class FixedFlipFlopTask(FlipFlopTask):
    """flip_flop with p bound by the task name (no user parameters), e.g. flip_flop_sparse."""

    def __init__(self, task_name: str, p: float):  # not `name`: register_task's first argument is called that
        super().__init__(p)
        self.name = task_name

    @property
    def params(self) -> dict:
        return {}


register_task("flip_flop", FlipFlopTask)
register_task("flip_flop_sparse", FixedFlipFlopTask, task_name="flip_flop_sparse", p=0.98)
register_task("flip_flop_dense", FixedFlipFlopTask, task_name="flip_flop_dense", p=0.1)

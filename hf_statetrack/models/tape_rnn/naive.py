"""The Tape-RNN layer one example at a time, each action a permutation matrix as in DeepMind's code: the
reference that the batched layer (`MemoryRNNLayer.forward` with `TapeRNNLayer.update`) is tested against.

For one row x (T, I), its mask real (T,) and jump distances d (T,), with the layer's own weights: the
Stack-RNN's controller step (stack_rnn/naive.py), then per tape u = the tape with cell 0 replaced by the
value written, and the new tape sum_a p_a P_a u, where P_a moves cell (i + shift_a) mod M to cell i, with
shifts 0, +1, -1, +d_t, -d_t (stay, left, right, jump left, jump right). A padded step keeps h and the
tapes. Returns h_1..h_T as (T, H).
"""

import torch

from ..stack_rnn.naive import controller_step


def shift_matrix(size: int, shift: int, like: torch.Tensor) -> torch.Tensor:
    """P with P[i, (i + shift) mod size] = 1, so (P u)[i] = u[(i + shift) mod size]."""
    matrix = like.new_zeros(size, size)
    for i in range(size):
        matrix[i, (i + shift) % size] = 1.0
    return matrix


def tape_update(tape: torch.Tensor, probs: torch.Tensor, value: torch.Tensor, distance: int) -> torch.Tensor:
    """tape (M, C), probs (5,), value (C,) -> the new tape (M, C)."""
    written = torch.cat([value[None], tape[1:]])
    shifts = [0, 1, -1, distance, -distance]
    return sum(p * shift_matrix(len(tape), s, tape) @ written for p, s in zip(probs, shifts))


def tape_rnn_layer_reference(layer, x: torch.Tensor, real: torch.Tensor, distances: torch.Tensor) -> torch.Tensor:
    h = x.new_zeros(layer.input_proj.out_features)
    tapes = [x.new_zeros(layer.memory_size, layer.cell_size) for _ in range(layer.num_memories)]
    outputs = []
    for x_t, is_real, d in zip(x, real, distances):
        if is_real:
            h, probs, values = controller_step(layer, x_t, h, [list(tape) for tape in tapes])
            tapes = [tape_update(tape, p, v, int(d)) for tape, p, v in zip(tapes, probs, values)]
        outputs.append(h)
    return torch.stack(outputs)

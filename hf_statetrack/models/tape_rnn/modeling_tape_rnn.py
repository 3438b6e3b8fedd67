"""Tape-RNN tagger: an Elman RNN controller with a differentiable circular tape, as in Delétang et al. 2023
("Neural Networks and the Chomsky Hierarchy", ICLR). Equations as in DeepMind's public code
(models/tape_rnn.py, TapeInputLengthJumpCore), written anew. Per layer, with m_{t-1}[0] the cell under the
head before step t and M = memory_size:

    h_t = tanh(W_x x_t + W_m m_{t-1}[0] + W_h h_{t-1} + b)          controller (h_0 = 0, m_0 = 0)
    a = softmax(W_a h_t + b_a) over 5 actions,   w_t = MLP(h_t)     (hidden layers write_mlp_sizes, ReLU)
    u = m_{t-1} with cell 0 replaced by w_t                          every action writes, then moves
    m_t[i] = a_stay u[i] + a_left u[i+1] + a_right u[i-1] + a_jump_left u[i+d_t] + a_jump_right u[i-d_t]

indices mod M (the tape is a ring; moving the head left is shifting the tape so that cell i+1 comes under it).
The layer outputs h_t; the tagger scores ReLU(h_t) of the last layer, as DeepMind's `make_rnn` does.

The jump distance d_t, and where we differ from the code: DeepMind jumps by the input length n, known to its
model before the first token. A tagger is causal (the logits at t read tokens 1..t only), so here d_t is the
number of input tokens read so far: real tokens other than `config.blank_token`, the token of the output
positions. On every output position (where the labels are) d_t = n, as in the code; on the input positions
d_t = t where the code has n. Everything else (embedding, initialisation, padding, several layers) is the
Stack-RNN's (stack_rnn/modeling_stack_rnn.py), whose layer loop this one reuses with the tape's update.
naive.py is the per-example reference with the actions as permutation matrices (DeepMind's formulation);
tests/models/test_tape_rnn.py compares them in float64.
"""

import torch
from torch import nn

from ..stack_rnn.modeling_stack_rnn import MemoryRNNLayer, StackRNNForTokenClassification, StackRNNModel
from .configuration_tape_rnn import TapeRNNConfig


def jump_distances(input_ids: torch.Tensor, real: torch.Tensor | None, blank_token: int | None,
                   vocab_size: int) -> torch.Tensor:
    """(B, T) long: the number of real tokens other than blank_token at positions 1..t."""
    counted = torch.ones_like(input_ids, dtype=torch.bool) if real is None else real
    if blank_token is not None:
        counted = counted & (input_ids != blank_token % vocab_size)
    return counted.long().cumsum(dim=1)


class TapeRNNLayer(MemoryRNNLayer):
    num_actions = 5  # write and: stay, left, right, jump left by d_t, jump right by d_t

    def value_network(self, config, out: int) -> nn.Module:
        sizes = [config.hidden_size, *config.write_mlp_sizes]
        layers = [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())]
        return nn.Sequential(*layers, nn.Linear(sizes[-1], out))

    def prepare(self, steps):
        """Jump distances d (B, T) -> for each step the cell each action brings under position i, (B, T, 5*M):
        i, i+1, i-1, i+d_t, i-d_t (mod M) for stay, left, right, jump left, jump right."""
        cells = torch.arange(self.memory_size, device=steps.device)
        shifts = torch.stack([torch.zeros_like(steps), torch.ones_like(steps), -torch.ones_like(steps), steps, -steps],
                             dim=-1)  # (B, T, 5)
        return ((cells + shifts[..., None]) % self.memory_size).flatten(2)  # (B, T, 5*M)

    def update(self, memory, actions, value, step):
        """step (B, 5*M): the cells to gather for each action (`prepare`)."""
        batch, k, size, cell = memory.shape
        written = torch.cat([value.unsqueeze(2), memory[:, :, 1:]], dim=2)  # (B, K, M, C): w_t under the head
        moved = written.gather(2, step[:, None, :, None].expand(batch, k, -1, cell))  # (B, K, 5*M, C)
        mixed = actions.unsqueeze(2) @ moved.view(batch, k, self.num_actions, size * cell)  # (B, K, 1, M*C)
        return mixed.view(batch, k, size, cell)


class TapeRNNModel(StackRNNModel):
    config_class = TapeRNNConfig
    layer_class = TapeRNNLayer
    _auto_class = None  # the Stack-RNN's remote-code registration is not inherited: this file imports stack_rnn/

    def steps(self, input_ids, real):
        return jump_distances(input_ids, real, self.config.blank_token, self.config.vocab_size)


class TapeRNNForTokenClassification(StackRNNForTokenClassification):
    config_class = TapeRNNConfig
    backbone_class = TapeRNNModel
    _auto_class = None

"""The Stack-RNN layer one example and one stack cell at a time: the reference that the batched layer
(`MemoryRNNLayer.forward` with `StackRNNLayer.update`) is tested against.

For one row x (T, I) and its mask real (T,) of booleans, with the layer's own weights:

    h_t = tanh(W_x x_t + b + W_h h_{t-1} + W_s [top of each stack])
    a = softmax(W_a h_t + b_a) per stack (push, pop, no-op),   v = W_v h_t + b_v
    cell 0 <- a_push v + a_pop cell 1 + a_noop cell 0;   cell i <- a_push cell i-1 + a_pop cell i+1 + a_noop cell i

A padded step (real[t] false) keeps h and the stacks. Returns h_1..h_T as (T, H).
"""

import torch


def controller_step(layer, x_t: torch.Tensor, h: torch.Tensor, memories: list[list[torch.Tensor]]):
    """h_t, the action probabilities of each memory (K lists of A) and the value written to each (K, C)."""
    hidden = h.shape[0]
    w_h, w_s = layer.recurrent.weight[:, :hidden], layer.recurrent.weight[:, hidden:]
    read = torch.cat([cells[0] for cells in memories])  # cell 0 of every memory, (K*C,)
    h = torch.tanh(layer.input_proj.weight @ x_t + layer.input_proj.bias + w_h @ h + w_s @ read)
    logits = layer.actions(h).view(len(memories), -1)
    probs = [torch.softmax(row, dim=0) for row in logits]
    values = layer.value(h).view(len(memories), -1)
    return h, probs, values


def stack_update(cells: list[torch.Tensor], push, pop, noop, value) -> list[torch.Tensor]:
    depth = len(cells)
    below = lambda i: cells[i + 1] if i + 1 < depth else torch.zeros_like(cells[0])  # noqa: E731
    new = [push * value + pop * below(0) + noop * cells[0]]
    for i in range(1, depth):
        new.append(push * cells[i - 1] + pop * below(i) + noop * cells[i])
    return new


def stack_rnn_layer_reference(layer, x: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    hidden = layer.input_proj.out_features
    h = x.new_zeros(hidden)
    stacks = [[x.new_zeros(layer.cell_size) for _ in range(layer.memory_size)] for _ in range(layer.num_memories)]
    outputs = []
    for x_t, is_real in zip(x, real):
        if is_real:
            h, probs, values = controller_step(layer, x_t, h, stacks)
            stacks = [stack_update(cells, *p, v) for cells, p, v in zip(stacks, probs, values)]
        outputs.append(h)
    return torch.stack(outputs)

"""PD-SSM's recurrence as a plain loop over dense matrices: the reference the structured scan is tested against.

Terzić, Menet, Hersche, Hofmann, Rahimi 2025, "Structured Sparse Transition Matrices to Enable State Tracking in
State-Space Models" (arXiv 2509.22284). Per batch row, with the complex state h_0 given::

    h_t = P_t D_t h_{t-1} + b_t        P_t = column-wise one-hot of argmax over rows of p_t,   D_t = diag(d_t)

p_t (N, N) holds selection scores whose columns sum to 1 (a column-wise softmax); column j of P_t is the unit
vector of the row where column j of p_t peaks, so slot j's content (scaled by d_t[j]) moves to that row. The
forward pass uses P_t; the backward pass treats P_t as p_t (straight-through: P_t + p_t - stop_gradient(p_t)),
the paper's choice (hardmax forward, softmax gradient).
"""

import torch
import torch.nn.functional as F


def pd_ssm_reference(p_soft, d, b, h0):
    """p_soft (B, T, N, N) real, d, b (B, T, N) complex, h0 (N,) complex -> h (B, T, N) complex, step by step."""
    size = p_soft.shape[-1]
    hard = F.one_hot(p_soft.argmax(-2), size).transpose(-1, -2).to(p_soft.dtype)  # column j: one at row argmax
    transitions = (hard + p_soft - p_soft.detach()).to(b.dtype)  # values of P_t, gradients of p_t
    state = h0.expand(b.shape[0], size)  # (B, N)
    outputs = []
    for t in range(b.shape[1]):
        state = (transitions[:, t] @ (d[:, t] * state).unsqueeze(-1)).squeeze(-1) + b[:, t]  # (B, N)
        outputs.append(state)
    return torch.stack(outputs, dim=1)  # (B, T, N)

"""Mamba-3's recurrence as a plain loop in its complex (rotating-state) form: the reference the chunked path,
which works in the rotated ("RoPE") frame instead, is tested against.

Lahoti, Li, Chen, Wang, Bick, Kolter, Dao, Gu 2026, "Mamba-3: Improved Sequence Modeling using State Space
Principles" (arXiv 2603.15569): a complex diagonal SSM discretised exponential-trapezoidally. Per batch row and
head, with the state h_0 = 0 of shape (N, P) whose rows are N / 2 complex numbers written as real pairs
(2i, 2i + 1), and k_0 x_0 = 0::

    h_t = alpha_t R(-theta_t) (h_{t-1} + eta_t k_{t-1}^T x_{t-1}) + gamma_t k_t^T x_t        y_t = h_t^T q_t

alpha_t = exp(dt_t A_t) is the decay, theta_t = dt_t omega_t the rotation of pair i by angle theta_t[i] (pairs
beyond len(theta) do not rotate), gamma_t = lambda_t dt_t and eta_t = (1 - lambda_t) dt_t: the trapezoid's
weights on the current input and on the previous one, which is carried through the same decay and rotation.
lambda_t = 1 (eta = 0) is the exponential-Euler rule of Mamba-2.
"""

import torch


def rotation(angles, size):
    """angles (..., A) -> (..., size, size): the rotation of the pairs (2i, 2i + 1), i < A, by angles[i]."""
    matrix = torch.eye(size, dtype=angles.dtype, device=angles.device).expand(*angles.shape[:-1], size, size).clone()
    for i in range(angles.shape[-1]):
        cos, sin = angles[..., i].cos(), angles[..., i].sin()
        matrix[..., 2 * i, 2 * i], matrix[..., 2 * i, 2 * i + 1] = cos, -sin
        matrix[..., 2 * i + 1, 2 * i], matrix[..., 2 * i + 1, 2 * i + 1] = sin, cos
    return matrix


def mamba3_reference(q, k, x, angles, log_alpha, gamma, eta):
    """q, k (B, T, H, N), x (B, T, H, P), angles (B, T, H, A) with 2A <= N, log_alpha, gamma, eta (B, T, H)
    -> y (B, T, H, P), one step at a time."""
    batch, length, heads, size = k.shape
    state = x.new_zeros(batch, heads, size, x.shape[-1])  # h (B, H, N, P)
    previous = torch.zeros_like(state)  # k_{t-1}^T x_{t-1}
    outputs = []
    for t in range(length):
        turn = rotation(-angles[:, t], size)  # R(-theta_t) (B, H, N, N)
        scalars = [s[:, t, :, None, None] for s in (log_alpha, gamma, eta)]  # each (B, H, 1, 1)
        current = k[:, t].unsqueeze(-1) * x[:, t].unsqueeze(-2)  # k_t^T x_t (B, H, N, P)
        state = scalars[0].exp() * turn @ (state + scalars[2] * previous) + scalars[1] * current
        outputs.append((state * q[:, t].unsqueeze(-1)).sum(-2))  # h_t^T q_t (B, H, P)
        previous = current
    return torch.stack(outputs, dim=1)  # (B, T, H, P)

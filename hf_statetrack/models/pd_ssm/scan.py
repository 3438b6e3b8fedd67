"""PD-SSM's recurrence as a parallel scan over structured transitions: the outputs and straight-through gradients
of `naive.pd_ssm_reference` in log2(T) vectorised rounds, each O(B T N) (the paper's point: PD matrices compose
in O(N), so a scan costs what a diagonal SSM's does).

A transition P D is stored as (sigma, d): column j of P is the unit vector at row sigma[j]. The affine maps
h -> P_t D_t h + b_t compose as (later after earlier)

    sigma = sigma_2[sigma_1]      d = d_1 * d_2[sigma_1]      b = scatter_add(sigma_2, d_2 * b_1) + b_2

(D_2 P_1 = P_1 diag(d_2[sigma_1])), so a Hillis-Steele scan gives every prefix of the sequence. Gradients: the
scan differentiates through d and b; sigma, an argmax, has none. The straight-through gradient of the selection
scores p_t, dL/dp_t = g_t (D_t h_{t-1})^T with g_t = dL/dh_t, is what a dense step P_t D_t h_{t-1} would give
p_t; it enters through an input that is zero in value,

    b_t + (p_t - stop_gradient(p_t)) D_t stop_gradient(h_{t-1})

with h_{t-1} from a first scan without gradients: the adjoint of the scan at b_t is g_t, so the term hands
g_t (D_t h_{t-1})^T to p_t and changes no value. The dense (N x N) work is this one matrix-vector product per
step, as in the paper's own backward pass.
"""

import torch


def compose(later, earlier):
    """(sigma, d, b) of later after earlier; each tensor (..., N)."""
    sigma_2, d_2, b_2 = later
    sigma_1, d_1, b_1 = earlier
    moved = torch.zeros_like(b_2).scatter_add(-1, sigma_2, d_2 * b_1)  # P_2 D_2 b_1
    return sigma_2.gather(-1, sigma_1), d_1 * d_2.gather(-1, sigma_1), moved + b_2


def affine_scan(sigma, d, b):
    """sigma (B, T, N) long, d, b (B, T, N) complex -> h (B, T, N): h_t = P_t D_t h_{t-1} + b_t from h_0 = 0."""
    maps, offset = (sigma, d, b), 1
    while offset < b.shape[1]:
        composed = compose([m[:, offset:] for m in maps], [m[:, :-offset] for m in maps])
        maps = tuple(torch.cat([m[:, :offset], c], dim=1) for m, c in zip(maps, composed))
        offset *= 2
    return maps[2]


def pd_ssm_scan(p_soft, d, b, h0):
    """p_soft (B, T, N, N) real, d, b (B, T, N) complex, h0 (N,) complex -> h (B, T, N) complex."""
    sigma = p_soft.argmax(-2)  # (B, T, N): column j -> row
    start = h0.expand_as(b[:, 0])  # (B, N)
    first = torch.zeros_like(start).scatter_add(-1, sigma[:, 0], d[:, 0] * start)  # P_1 D_1 h_0
    b = torch.cat([(b[:, 0] + first).unsqueeze(1), b[:, 1:]], dim=1)  # h_0 folded into the first input
    with torch.no_grad():
        previous = torch.cat([start.unsqueeze(1), affine_scan(sigma, d, b)[:, :-1]], dim=1)  # h_{t-1}
    nudge = (p_soft - p_soft.detach()).to(b.dtype) @ (d * previous).unsqueeze(-1)  # zero, with p's gradient
    return affine_scan(sigma, d, b + nudge.squeeze(-1))

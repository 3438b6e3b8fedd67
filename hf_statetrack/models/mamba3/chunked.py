"""Mamba-3's recurrence in chunkwise-parallel form (the state space duality of Mamba-2 with Mamba-3's two
changes): the outputs of `naive.mamba3_reference`, with a Python loop over chunks instead of time steps.

Rotations: with phi_t = theta_1 + ... + theta_t, the rotated-frame state R(phi_t) h_t decays by the real
alpha_t alone, and reads and writes go through rotated q and k: q_t -> R(phi_t) q_t, k_s -> R(phi_s) k_s (the
"data-dependent RoPE" of the paper, section 3.2). Trapezoid: token s enters the state with weight gamma_s at its
own step and eta_{s+1} one step later, both then decayed alike, so

    y_t = sum_{s<=t} (q_t . k_s) exp(a_{s+1} + ... + a_t) (gamma_s + eta_{s+1}) x_s  -  eta_{t+1} (q_t . k_t) x_t

(a = log alpha; the last term removes the eta part of the diagonal, which the state only sees one step later).
This is Mamba-2's chunked algorithm with keys k_s (gamma_s + eta_{s+1}): inside a chunk a masked (C x C)
product, across chunks a (N x P) state per head. Padding to a multiple of the chunk uses zeros (alpha = 1, k = 0),
whose outputs are dropped.
"""

import torch
import torch.nn.functional as F


def rotate(x, angles):
    """x (..., N), angles (..., A), 2A <= N: the pairs (x_2i, x_2i+1), i < A, rotated by angles[i]."""
    pairs = x[..., :2 * angles.shape[-1]].unflatten(-1, (-1, 2))  # (..., A, 2)
    first, second = pairs.unbind(-1)
    cos, sin = angles.cos(), angles.sin()
    rotated = torch.stack([first * cos - second * sin, first * sin + second * cos], dim=-1).flatten(-2)
    return torch.cat([rotated, x[..., 2 * angles.shape[-1]:]], dim=-1)


def ssd_chunked(q, k, x, log_alpha, chunk_size):
    """y_t = sum_{s<=t} (q_t . k_s) exp(log_alpha_{s+1} + ... + log_alpha_t) x_s, chunk by chunk.
    q, k (B, T, H, N), x (B, T, H, P), log_alpha (B, T, H) -> y (B, T, H, P), in at least float32."""
    out_dtype = x.dtype
    dtype = torch.promote_types(x.dtype, torch.float32)
    batch, length, heads, _ = k.shape
    chunk = min(chunk_size, length)
    pad = -length % chunk
    chunks = (length + pad) // chunk

    def to_chunks(t):  # (B, T, H, D) -> (n, B, H, C, D), zero-padded in time
        t = F.pad(t.to(dtype), (0, 0, 0, 0, 0, pad))
        return t.reshape(batch, chunks, chunk, heads, t.shape[-1]).permute(1, 0, 3, 2, 4).contiguous()

    q, k, x = to_chunks(q), to_chunks(k), to_chunks(x)
    log_g = to_chunks(log_alpha.unsqueeze(-1)).cumsum(-2)  # (n, B, H, C, 1), decay since the chunk start
    above_diagonal = ~torch.ones(chunk, chunk, dtype=torch.bool, device=k.device).tril()
    decay = (log_g - log_g.transpose(-1, -2)).masked_fill(above_diagonal, -torch.inf).exp()  # (n, B, H, C, C)
    inside = (q @ k.transpose(-1, -2) * decay) @ x  # (n, B, H, C, P)
    q_decayed = q * log_g.exp()
    written = (k * (log_g[..., -1:, :] - log_g).exp()).transpose(-1, -2) @ x  # (n, B, H, N, P)
    chunk_decay = log_g[..., -1:, :].exp()  # (n, B, H, 1, 1)

    state = x.new_zeros(batch, heads, k.shape[-1], x.shape[-1])  # (B, H, N, P)
    outputs = []
    for q_i, inside_i, written_i, g_i in zip(*(t.unbind(0) for t in (q_decayed, inside, written, chunk_decay))):
        outputs.append(q_i @ state + inside_i)  # (B, H, C, P)
        state = g_i * state + written_i
    y = torch.stack(outputs, dim=1).transpose(2, 3)  # (B, n, C, H, P)
    return y.reshape(batch, chunks * chunk, heads, -1)[:, :length].to(out_dtype)  # (B, T, H, P)


def mamba3_chunked(q, k, x, angles, log_alpha, gamma, eta, chunk_size=64):
    """q, k (B, T, H, N), x (B, T, H, P), angles (B, T, H, A), log_alpha, gamma, eta (B, T, H) -> y (B, T, H, P)."""
    phase = angles.cumsum(1)  # phi_t (B, T, H, A)
    q, k = rotate(q, phase), rotate(k, phase)
    eta_next = F.pad(eta[:, 1:], (0, 0, 0, 1))  # eta_{t+1}, 0 after the last token
    y = ssd_chunked(q, k * (gamma + eta_next).unsqueeze(-1), x, log_alpha, chunk_size)
    return y - (eta_next * (q * k).sum(-1)).unsqueeze(-1).to(y.dtype) * x

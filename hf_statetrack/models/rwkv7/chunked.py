"""RWKV-7's generalised delta rule in chunkwise-parallel form: the outputs of `naive.rwkv7_reference`, with a
Python loop over chunks instead of time steps.

Write the state transposed, P_t = S_t^T (K, V). One step is P_t = diag(w_t) P_{t-1} + beta_t^T u_t + k_t^T v_t
with u_t = alpha_t P_{t-1} (V,) the part of the state read by alpha. Inside a chunk that starts from P, with
G_t = w_1 * ... * w_t (elementwise decay since the chunk start) and G_0 = 1, dividing by G_t turns the step into a
sum, P_t = G_t * [P + sum_{s<=t} (beta_s / G_s)^T u_s + (k_s / G_s)^T v_s], so that

    u_t = a_t P + sum_{s<t} [a_t . (beta_s / G_s)] u_s + [a_t . (k_s / G_s)] v_s       with a_t = alpha_t G_{t-1}
    i.e.  (I - A_ab) U = A_ak V + (alpha G_prev) P          A_ab, A_ak strictly lower triangular (C x C)

so U = Ũ + W P with one unit-triangular solve for all chunks at once; then, chunk by chunk,

    O = (r G) P + R_b U + R_k V          P <- G_C * P + (beta G_C / G)^T U + (k G_C / G)^T V

with R_b, R_k the same products of r_t G_t and beta_s / G_s, k_s / G_s, lower triangular diagonal included.
Everything is exact for any decays; in float32 the factors 1 / G_s stay harmless while one chunk's decay
G_C is above ~e^-60. RWKV-7's w_t >= exp(-e^-0.5) = 0.545 gives G_C >= e^-9.7 for chunks of 16. Padding to a
multiple of the chunk uses log_w = 0, alpha = beta = k = v = 0: an identity step whose outputs are dropped.
"""

import torch
import torch.nn.functional as F


def rwkv7_chunked(r, log_w, k, v, alpha, beta, chunk_size=16):
    """r, log_w, k, alpha, beta (B, T, H, K), v (B, T, H, V) -> o (B, T, H, V); computed in at least float32."""
    out_dtype = v.dtype
    dtype = torch.promote_types(v.dtype, torch.float32)
    batch, length, heads, key_dim = k.shape
    chunk = min(chunk_size, length)
    pad = -length % chunk
    chunks = (length + pad) // chunk

    def to_chunks(x):  # (B, T, H, D) -> (n, B, H, C, D), zero-padded in time
        x = F.pad(x.to(dtype), (0, 0, 0, 0, 0, pad))
        return x.reshape(batch, chunks, chunk, heads, x.shape[-1]).permute(1, 0, 3, 2, 4).contiguous()

    r, log_w, k, v, alpha, beta = (to_chunks(x) for x in (r, log_w, k, v, alpha, beta))
    log_g = log_w.cumsum(-2)  # log G_t (n, B, H, C, K)
    alpha_prev = alpha * (log_g - log_w).exp()  # alpha_t G_{t-1}
    r_decayed = r * log_g.exp()  # r_t G_t
    beta_in, k_in = beta * (-log_g).exp(), k * (-log_g).exp()  # beta_s / G_s, k_s / G_s
    to_end = (log_g[..., -1:, :] - log_g).exp()  # G_C / G_s <= 1

    ones = torch.ones(chunk, chunk, dtype=torch.bool, device=k.device)
    above_diagonal, on_or_above = ~ones.tril(), ~ones.tril(-1)
    a_ab = (alpha_prev @ beta_in.transpose(-1, -2)).masked_fill(on_or_above, 0)  # (n, B, H, C, C)
    a_ak = (alpha_prev @ k_in.transpose(-1, -2)).masked_fill(on_or_above, 0)
    r_b = (r_decayed @ beta_in.transpose(-1, -2)).masked_fill(above_diagonal, 0)
    r_k = (r_decayed @ k_in.transpose(-1, -2)).masked_fill(above_diagonal, 0)
    eye = torch.eye(chunk, dtype=dtype, device=k.device)
    u_w = torch.linalg.solve_triangular(eye - a_ab, torch.cat([a_ak @ v, alpha_prev], dim=-1), upper=False,
                                        unitriangular=True)
    u, w = u_w.split([v.shape[-1], key_dim], dim=-1)  # Ũ (n, B, H, C, V), W (n, B, H, C, K)
    o_values = r_k @ v  # the v part of O (n, B, H, C, V)
    state_values = (k * to_end).transpose(-1, -2) @ v  # the v part of the state update (n, B, H, K, V)
    beta_end = beta * to_end
    chunk_decay = log_g[..., -1, :].exp().unsqueeze(-1)  # G_C (n, B, H, K, 1)

    state = v.new_zeros(batch, heads, key_dim, v.shape[-1])  # P (B, H, K, V)
    outputs = []
    for r_i, u_i, w_i, r_b_i, o_i, beta_i, s_i, g_i in zip(*(x.unbind(0) for x in (
            r_decayed, u, w, r_b, o_values, beta_end, state_values, chunk_decay))):
        reads = u_i + w_i @ state  # U (B, H, C, V)
        outputs.append(r_i @ state + r_b_i @ reads + o_i)  # (B, H, C, V)
        state = g_i * state + beta_i.transpose(-1, -2) @ reads + s_i
    o = torch.stack(outputs, dim=1).transpose(2, 3)  # (B, n, C, H, V)
    return o.reshape(batch, chunks * chunk, heads, -1)[:, :length].to(out_dtype)  # (B, T, H, V)

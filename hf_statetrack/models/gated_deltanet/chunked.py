"""The gated delta rule in chunkwise-parallel form: DeltaNet's UT-transform algorithm (deltanet/chunked.py) with
a decay. Same outputs as `naive.gated_delta_rule_reference`, a loop over chunks instead of time steps.

State transposed, P_t = S_t^T (K, V): P_t = alpha_t P_{t-1} + k_t u_t^T, u_t = beta_t (v_t - alpha_t P_{t-1}^T k_t).
Inside a chunk that starts from P, with G_t = alpha_1 ... alpha_t (cumulative decay from the chunk start) and
D_ti = G_t / G_i for i <= t, expanding P_{t-1} gives

    u_t + beta_t sum_{i<t} D_ti (k_t . k_i) u_i = beta_t v_t - beta_t G_t P^T k_t
    i.e.  A U = beta V - (beta G K) P          A = I + strictly_lower(diag(beta) (K K^T * D))

so U = Ũ - W P with Ũ = A^{-1} (beta V), W = A^{-1} (beta G K). Then, chunk by chunk,

    O = (G Q) P + (tril(Q K^T) * D) U          P <- G_C P + (K * G_C / G)^T U

G and D are computed from cumulative sums of g = log alpha (exponents <= 0 only: D is masked above the diagonal
before exp). g = 0 gives DeltaNet's algorithm exactly.
"""

import torch
import torch.nn.functional as F


def gated_delta_rule_chunked(q, k, v, beta, g, chunk_size=16):
    """q, k (B, T, H, K), v (B, T, H, V), beta, g (B, T, H) -> o (B, T, H, V); computed in at least float32."""
    out_dtype = v.dtype
    dtype = torch.promote_types(v.dtype, torch.float32)
    batch, length, heads, key_dim = k.shape
    chunk = min(chunk_size, length)
    pad = -length % chunk
    chunks = (length + pad) // chunk

    def to_chunks(x):  # (B, T, H, D) -> (n, B, H, C, D), zero-padded in time (k = 0, beta = 0, g = 0: identity)
        x = F.pad(x.to(dtype), (0, 0, 0, 0, 0, pad))
        return x.reshape(batch, chunks, chunk, heads, x.shape[-1]).permute(1, 0, 3, 2, 4).contiguous()

    q, k, v = to_chunks(q), to_chunks(k), to_chunks(v)
    beta, log_g = to_chunks(beta.unsqueeze(-1)), to_chunks(g.unsqueeze(-1)).cumsum(-2)  # (n, B, H, C, 1)
    ones = torch.ones(chunk, chunk, dtype=torch.bool, device=k.device)
    above_diagonal, on_or_above = ~ones.tril(), ~ones.tril(-1)
    decay = (log_g - log_g.transpose(-1, -2)).masked_fill(above_diagonal, -torch.inf).exp()  # D (n, B, H, C, C)
    eye = torch.eye(chunk, dtype=dtype, device=k.device)
    k_beta = beta * k
    A = (k_beta @ k.transpose(-1, -2) * decay).masked_fill(on_or_above, 0) + eye
    u_w = torch.linalg.solve_triangular(A, torch.cat([beta * v, k_beta * log_g.exp()], dim=-1), upper=False,
                                        unitriangular=True)
    u, w = u_w.split([v.shape[-1], key_dim], dim=-1)  # Ũ (n, B, H, C, V), W (n, B, H, C, K)
    scores = q @ k.transpose(-1, -2) * decay  # (n, B, H, C, C), zero above the diagonal
    q_decayed = q * log_g.exp()  # G Q
    k_to_end = k * (log_g[..., -1:, :] - log_g).exp()  # K * G_C / G
    chunk_decay = log_g[..., -1:, :].exp()  # G_C (n, B, H, 1, 1)

    state = v.new_zeros(batch, heads, key_dim, v.shape[-1])  # P (B, H, K, V), in the compute dtype of v
    outputs = []
    for q_i, k_i, u_i, w_i, scores_i, g_i in zip(*(x.unbind(0) for x in (q_decayed, k_to_end, u, w, scores,
                                                                          chunk_decay))):
        corrections = u_i - w_i @ state  # U (B, H, C, V)
        outputs.append(q_i @ state + scores_i @ corrections)  # (B, H, C, V)
        state = g_i * state + k_i.transpose(-1, -2) @ corrections
    o = torch.stack(outputs, dim=1).transpose(2, 3)  # (B, n, C, H, V)
    return o.reshape(batch, chunks * chunk, heads, -1)[:, :length].to(out_dtype)  # (B, T, H, V)

"""The gated delta rule as a plain loop: the reference the chunked fast path is tested against.

Per batch row and head, with S_0 = 0 a (V, K) matrix and a decay alpha_t = exp(g_t) in (0, 1]::

    S_t = alpha_t S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T        o_t = S_t q_t

(Yang, Kautz, Hatamizadeh 2025, "Gated Delta Networks: Improving Mamba2 with Delta Rule", arXiv 2412.06464,
Eq. 10). g = 0 is the delta rule.
"""

import torch


def gated_delta_rule_reference(q, k, v, beta, g):
    """q, k (B, T, H, K), v (B, T, H, V), beta (B, T, H), g (B, T, H) <= 0 -> o (B, T, H, V), one step at a time."""
    batch, _, heads, key_dim = k.shape
    state = v.new_zeros(batch, heads, v.shape[-1], key_dim)  # (B, H, V, K)
    eye = torch.eye(key_dim, dtype=k.dtype, device=k.device)
    outputs = []
    for t in range(k.shape[1]):
        q_t, k_t, v_t = q[:, t], k[:, t], v[:, t]  # (B, H, .)
        beta_t, alpha_t = beta[:, t, :, None, None], g[:, t, :, None, None].exp()  # (B, H, 1, 1)
        transition = eye - beta_t * k_t.unsqueeze(-1) * k_t.unsqueeze(-2)  # (B, H, K, K)
        state = alpha_t * state @ transition + beta_t * v_t.unsqueeze(-1) * k_t.unsqueeze(-2)  # (B, H, V, K)
        outputs.append((state @ q_t.unsqueeze(-1)).squeeze(-1))  # (B, H, V)
    return torch.stack(outputs, dim=1)  # (B, T, H, V)

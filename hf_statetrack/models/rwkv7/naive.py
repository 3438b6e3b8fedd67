"""RWKV-7's generalised delta rule as a plain loop over time: the reference the chunked path is tested against.

Per batch row and head, with S_0 = 0 a (V, K) matrix and row vectors as in the paper (Peng et al. 2025,
"RWKV-7 "Goose" with Expressive Dynamic State Evolution", arXiv 2503.14456, section 4)::

    S_t = S_{t-1} (diag(w_t) + alpha_t^T beta_t) + v_t^T k_t        o_t = S_t r_t^T

RWKV-7 takes alpha_t = -kappa_hat_t (the unit "removal key") and beta_t = a_t * kappa_hat_t (a_t the in-context
learning rate), so the transition is diag(w_t) - kappa_hat_t^T (a_t * kappa_hat_t); k_t is the replacement key.
"""

import torch


def rwkv7_reference(r, log_w, k, v, alpha, beta):
    """r, log_w, k, alpha, beta (B, T, H, K), v (B, T, H, V) -> o (B, T, H, V), one step at a time; w = exp(log_w)."""
    batch, _, heads, key_dim = k.shape
    state = v.new_zeros(batch, heads, v.shape[-1], key_dim)  # S (B, H, V, K)
    outputs = []
    for t in range(k.shape[1]):
        w_t, alpha_t, beta_t = log_w[:, t].exp(), alpha[:, t], beta[:, t]  # (B, H, K)
        removed = state @ alpha_t.unsqueeze(-1)  # S alpha^T (B, H, V, 1)
        state = state * w_t.unsqueeze(-2) + removed * beta_t.unsqueeze(-2) \
            + v[:, t].unsqueeze(-1) * k[:, t].unsqueeze(-2)  # (B, H, V, K)
        outputs.append((state @ r[:, t].unsqueeze(-1)).squeeze(-1))  # (B, H, V)
    return torch.stack(outputs, dim=1)  # (B, T, H, V)

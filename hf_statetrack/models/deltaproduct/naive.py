"""DeltaProduct as a plain loop: n_h delta-rule steps per token, the reference the chunked path is tested against.

Per batch row and head, with S_0 = 0 a (V, K) matrix, token t takes n_h steps j = 1..n_h::

    S <- S (I - beta_tj k_tj k_tj^T) + beta_tj v_tj k_tj^T          then   o_t = S_t q_t

so the token's transition is the product of n_h generalised Householder matrices (Siems et al. 2025,
"DeltaProduct: Improving State-Tracking in Linear RNNs via Householder Products", arXiv 2502.10297, Eq. 3-4).
"""

import torch


def delta_product_reference(q, k, v, beta):
    """q (B, T, H, K), k (B, T, n, H, K), v (B, T, n, H, V), beta (B, T, n, H) -> o (B, T, H, V)."""
    batch, length, steps, heads, key_dim = k.shape
    state = v.new_zeros(batch, heads, v.shape[-1], key_dim)  # (B, H, V, K)
    eye = torch.eye(key_dim, dtype=k.dtype, device=k.device)
    outputs = []
    for t in range(length):
        for j in range(steps):
            k_tj, v_tj, beta_tj = k[:, t, j], v[:, t, j], beta[:, t, j, :, None, None]  # (B, H, .), (B, H, 1, 1)
            transition = eye - beta_tj * k_tj.unsqueeze(-1) * k_tj.unsqueeze(-2)  # (B, H, K, K)
            state = state @ transition + beta_tj * v_tj.unsqueeze(-1) * k_tj.unsqueeze(-2)  # (B, H, V, K)
        outputs.append((state @ q[:, t].unsqueeze(-1)).squeeze(-1))  # (B, H, V), after the token's last step
    return torch.stack(outputs, dim=1)  # (B, T, H, V)

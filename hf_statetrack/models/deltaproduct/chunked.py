"""DeltaProduct's fast path: the n_h steps of each token are n_h sub-tokens of one delta-rule sequence of length
n_h T, run by DeltaNet's chunkwise-parallel algorithm; only the last sub-token of each token is read.

    token t:      (k_t1, v_t1, b_t1) ... (k_tn, v_tn, b_tn), q_t
    sub-tokens:   ...  [k_t1 v_t1 b_t1 q=0] ... [k_tn v_tn b_tn q=q_t]  ...      o_t = output of sub-token tn

The queries of the other sub-tokens are zero (their outputs are discarded). This is how the DeltaProduct authors
run it on flash-linear-attention's delta-rule kernel (Siems et al. 2025, arXiv 2502.10297).
"""

import torch

from ..deltanet.chunked import delta_rule_chunked


def interleave(q, k, v, beta):
    """q (B, T, H, K), k (B, T, n, H, K), v (B, T, n, H, V), beta (B, T, n, H) -> the same as one sequence of
    n T sub-tokens: q (B, nT, H, K) zero but at every n-th, k (B, nT, H, K), v (B, nT, H, V), beta (B, nT, H)."""
    q_sub = torch.zeros_like(k)  # (B, T, n, H, K)
    q_sub[:, :, -1] = q
    return [x.flatten(1, 2) for x in (q_sub, k, v, beta)]


def delta_product_chunked(q, k, v, beta, chunk_size: int = 16, delta_rule=None):
    """q (B, T, H, K), k (B, T, n, H, K), v (B, T, n, H, V), beta (B, T, n, H) -> o (B, T, H, V); chunk_size
    counts sub-tokens. `delta_rule(q, k, v, beta)` runs the sub-token sequence: DeltaNet's chunked path unless
    given (the model passes its dispatcher, which uses flash-linear-attention's kernel on CUDA)."""
    steps = k.shape[2]
    if delta_rule is None:
        o = delta_rule_chunked(*interleave(q, k, v, beta), chunk_size=chunk_size)  # (B, nT, H, V)
    else:
        o = delta_rule(*interleave(q, k, v, beta))
    return o[:, steps - 1::steps]  # the last sub-token of every token

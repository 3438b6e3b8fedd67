"""Gated DeltaNet tagger (Yang, Kautz, Hatamizadeh 2025, arXiv 2412.06464): DeltaNet blocks whose state also
decays by a data-dependent alpha_t in (0, 1) per head,

    S_t = alpha_t S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T        o_t = S_t q_t
    alpha_t = exp(g_t),  g_t = -exp(A_log) softplus(w_a . x_t + dt_bias)     (Mamba-2's decay, one per head)

beta in (0, 2) (allow_negative_eigenvalues, the default) or (0, 1). The transition's eigenvalues are alpha_t along
directions other than k_t and alpha_t (1 - beta_t) along k_t: in (-1, 1) with negative eigenvalues. This is the
linear-attention layer of Qwen3-Next and OLMo-hybrid (whose `linear_allow_neg_eigval` doubles beta the same way);
tests/models/test_gated_deltanet.py checks this mixer against OLMo-hybrid's on the same weights. Pads get beta = 0
and g = 0: an identity step.
"""

import functools
import importlib
import importlib.util
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..deltanet.modeling_deltanet import DeltaNetForTokenClassification, DeltaNetMixer, DeltaNetModel
from .chunked import gated_delta_rule_chunked
from .configuration_gated_deltanet import GatedDeltaNetConfig

# Mamba-2's initialisation of the decay: A ~ U(1, 16), dt log-uniform in [1e-3, 1e-1] (dt_bias = softplus^-1(dt))
A_RANGE, DT_RANGE = (1.0, 16.0), (1e-3, 1e-1)


@functools.cache
def fla_gated_delta_rule():
    """flash-linear-attention's `chunk_gated_delta_rule` if installed, else None (it is never required)."""
    if importlib.util.find_spec("fla") is None:
        return None
    return importlib.import_module("fla.ops.gated_delta_rule").chunk_gated_delta_rule


def gated_delta_rule(q, k, v, beta, g, chunk_size, use_fla_kernels):
    """q, k (B, T, H, K), v (B, T, H, V), beta, g (B, T, H) -> o (B, T, H, V); fla's kernel on CUDA if asked for
    and installed (it computes in bfloat16 and takes (B, T, H, K) inputs), else the float32 PyTorch path."""
    kernel = fla_gated_delta_rule() if use_fla_kernels and q.is_cuda else None
    if kernel is None:
        return gated_delta_rule_chunked(q, k, v, beta, g, chunk_size)
    half = v.dtype if v.dtype in (torch.float16, torch.bfloat16) else torch.bfloat16
    o, _ = kernel(q=q.to(half), k=k.to(half), v=v.to(half), g=g.float(), beta=beta.to(half), scale=1.0)
    return o.to(v.dtype)


class GatedDeltaNetMixer(DeltaNetMixer):
    def __init__(self, config: GatedDeltaNetConfig):
        super().__init__(config)
        heads = config.num_heads
        self.decay_proj = nn.Linear(config.hidden_size, heads, bias=False)
        self.A_log = nn.Parameter(torch.empty(heads).uniform_(*A_RANGE).log())
        log_dt = torch.empty(heads).uniform_(math.log(DT_RANGE[0]), math.log(DT_RANGE[1]))
        self.dt_bias = nn.Parameter(log_dt.exp() + torch.log(-torch.expm1(-log_dt.exp())))  # softplus^-1(dt)

    def log_decays(self, x, mask):
        """g = log alpha (B, T, H) <= 0; 0 at pads (alpha = 1)."""
        g = -self.A_log.float().exp() * F.softplus(self.decay_proj(x).float() + self.dt_bias)
        return g * mask

    def recurrence(self, q, k, v, beta, g):
        """q (B, T, H, d), k, v (B, T, 1, H, d), beta (B, T, 1, H), g (B, T, H) -> (B, T, H, d)."""
        k, v, beta = k.squeeze(2), v.squeeze(2), beta.squeeze(2)
        return gated_delta_rule(q, k, v, beta, g, self.config.chunk_size, self.config.use_fla_kernels)


class GatedDeltaNetModel(DeltaNetModel):
    config_class = GatedDeltaNetConfig
    mixer_class = GatedDeltaNetMixer
    _auto_class = None  # DeltaNet's remote-code registration is not inherited: this file imports deltanet/


class GatedDeltaNetForTokenClassification(DeltaNetForTokenClassification):
    config_class = GatedDeltaNetConfig
    backbone_class = GatedDeltaNetModel
    _auto_class = None

"""Mamba-3 tagger (Lahoti, Li, Chen, Wang, Bick, Kolter, Dao, Gu 2026, "Mamba-3: Improved Sequence Modeling
using State Space Principles", arXiv 2603.15569), the single-input single-output (SISO) mixer.

    input_ids (B, T) -> embed -> L x [x + mixer(RMSNorm(x)); x + SwiGLU(RMSNorm(x))] -> RMSNorm -> score

The mixer, per head (inner width expand * D cut into heads of P channels, state N per channel), from one
projection of the input u_t into z, x, B, C, dt, A, lambda and omega:

    dt_t = softplus(w_dt u_t + dt_bias)            A_t = -max(softplus(w_A u_t), a_floor)   (data-dependent)
    alpha_t = exp(dt_t A_t)        lambda_t = sigmoid(w_lambda u_t)        theta_t = dt_t pi tanh(w_omega u_t)
    k_t = RMSNorm(B_t) + b_B       q_t = RMSNorm(C_t) + b_C      (per-head biases, initialised to 1)
    h_t = alpha_t R(-theta_t) (h_{t-1} + (1 - lambda_t) dt_t k_{t-1}^T x_{t-1}) + lambda_t dt_t k_t^T x_t
    y_t = (h_t^T q_t + D x_t) * SiLU(z_t)            out = W_out y

R(-theta_t) turns the state's first rope_fraction * N dimensions in pairs: the state is complex there, with
transition eigenvalues alpha_t e^{-+i theta_t} (modulus in (0, 1)); the remaining dimensions keep Mamba-2's real
decay alpha_t in (0, 1). A rotation by pi per odd token is parity, by 2 pi / 5 per token counting modulo 5: what
a real positive decay cannot express (the paper's section 3.2 and its state-tracking table). The angles are
shared by the heads up to each head's dt (the official code projects num_angles angles once). The
exponential-trapezoidal rule (section 3.1) weighs the current input by lambda dt and the previous one, carried
through the same decay and rotation, by (1 - lambda) dt; lambda = 1 is Mamba-2's exponential Euler. There is no
short convolution (the paper drops it).

Fast path: chunked.py works in the rotated ("data-dependent RoPE") frame and runs Mamba-2's chunked state space
duality with modified keys; naive.py is the complex-form loop it is tested against. On CUDA with mamba-ssm's
Mamba-3 kernels installed, the official SISO Triton kernel runs instead (bfloat16 in, same equations).

Left out: the multi-input multi-output (MIMO) variant, the optional output norm (is_outproj_norm, off by default
in the official code), learnable initial states and cached decoding. Choice: the block is the Llama-style
mixer + SwiGLU MLP pair (DeltaNet's blocks here, modeling_deltanet.py), where the paper's language models put
Mamba-3 in place of attention.

Padding: a pad gets dt = 0 and x = 0, so alpha = 1, no input and no rotation: an identity step; real positions
see the same values with left or right padding as without.
"""

import functools
import importlib
import importlib.util
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..deltanet.modeling_deltanet import DeltaNetForTokenClassification, DeltaNetModel
from .chunked import mamba3_chunked
from .configuration_mamba3 import Mamba3Config, num_angles, num_heads


@functools.cache
def mamba3_kernel():
    """mamba-ssm's `mamba3_siso_combined` Triton kernel if a release with Mamba-3 is installed, else None."""
    if importlib.util.find_spec("mamba_ssm") is None:
        return None
    try:
        return importlib.import_module("mamba_ssm.ops.triton.mamba3.mamba3_siso_combined").mamba3_siso_combined
    except ImportError:  # a mamba-ssm release before Mamba-3
        return None


class Mamba3Mixer(nn.Module):
    def __init__(self, config: Mamba3Config):
        super().__init__()
        self.config = config
        inner, heads, size = config.expand * config.hidden_size, num_heads(config), config.state_size
        self.num_heads, self.groups = heads, config.n_groups
        self.sizes = {"z": inner, "x": inner, "B": config.n_groups * size, "C": config.n_groups * size, "dt": heads,
                      "A": heads, "lambda": heads if config.use_trapezoidal else 0, "omega": num_angles(config)}
        self.in_proj = nn.Linear(config.hidden_size, sum(self.sizes.values()), bias=False)
        dt = torch.empty(heads).uniform_(math.log(config.dt_min), math.log(config.dt_max)).exp()
        self.dt_bias = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1(dt)
        self.B_norm = nn.RMSNorm(size, eps=config.rms_norm_eps)
        self.C_norm = nn.RMSNorm(size, eps=config.rms_norm_eps)
        self.B_bias = nn.Parameter(torch.ones(heads, size))
        self.C_bias = nn.Parameter(torch.ones(heads, size))
        self.D = nn.Parameter(torch.ones(heads))
        self.out_proj = nn.Linear(inner, config.hidden_size, bias=False)

    def forward(self, u, mask):
        """u (B, T, D), mask (B, T, 1) of 0/1 -> (B, T, D)."""
        parts = dict(zip(self.sizes, self.in_proj(u).split(list(self.sizes.values()), dim=-1)))
        dt = F.softplus(parts["dt"] + self.dt_bias) * mask  # (B, T, H); pads: dt = 0, an identity step
        decay_rate = -F.softplus(parts["A"]).clamp(min=self.config.a_floor)  # A_t (B, T, H)
        heads = functools.partial(torch.unflatten, dim=-1, sizes=(self.num_heads, -1))
        x, z = heads(parts["x"] * mask), heads(parts["z"])  # (B, T, H, P)
        groups = functools.partial(torch.unflatten, dim=-1, sizes=(self.groups, -1))
        k, q = self.B_norm(groups(parts["B"])), self.C_norm(groups(parts["C"]))  # (B, T, G, N)
        kernel = mamba3_kernel() if self.config.use_mamba_kernels and u.is_cuda else None
        if kernel is not None and self.config.use_rope and self.config.use_trapezoidal:
            y = self.kernel_forward(kernel, q, k, x, z, dt, decay_rate, parts)
        else:
            per_head = self.num_heads // self.groups
            k = k.repeat_interleave(per_head, dim=2) + self.B_bias  # (B, T, H, N)
            q = q.repeat_interleave(per_head, dim=2) + self.C_bias
            lam = torch.sigmoid(parts["lambda"]) if self.config.use_trapezoidal else torch.ones_like(dt)
            angles = dt.unsqueeze(-1) * math.pi * torch.tanh(parts["omega"]).unsqueeze(-2)  # (B, T, H, A)
            y = mamba3_chunked(q, k, x, angles, decay_rate * dt, lam * dt, (1 - lam) * dt, self.config.chunk_size)
            y = (y + self.D.unsqueeze(-1) * x) * F.silu(z)  # (B, T, H, P)
        return self.out_proj(y.flatten(-2))

    def kernel_forward(self, kernel, q, k, x, z, dt, decay_rate, parts):
        """The official SISO kernel: it adds the biases, rotates by cumsum(dt pi tanh(omega)), takes lambda's
        logit and applies D and the SiLU gate itself (raw inputs, heads last but one, bfloat16 q, k, x, z)."""
        half = torch.bfloat16
        heads_first = functools.partial(torch.transpose, dim0=1, dim1=2)  # (B, T, H) -> (B, H, T)
        angles = parts["omega"].unsqueeze(2).expand(-1, -1, self.num_heads, -1).float()  # (B, T, H, A)
        y = kernel(Q=q.to(half), K=k.to(half), V=x.to(half), ADT=heads_first(decay_rate * dt).float(),
                   DT=heads_first(dt).float(), Trap=heads_first(parts["lambda"]).to(half), Q_bias=self.C_bias.float(),
                   K_bias=self.B_bias.float(), Angles=angles, D=self.D.float(), Z=z.to(half),
                   chunk_size=self.config.chunk_size)
        return y.to(x.dtype)


class Mamba3Model(DeltaNetModel):
    """DeltaNet's backbone (pre-norm mixer + SwiGLU blocks, embeddings and final norm) with the Mamba-3 mixer."""

    config_class = Mamba3Config
    mixer_class = Mamba3Mixer
    _auto_class = None  # DeltaNet's remote-code registration is not inherited: this file imports deltanet/


class Mamba3ForTokenClassification(DeltaNetForTokenClassification):
    config_class = Mamba3Config
    backbone_class = Mamba3Model
    _auto_class = None

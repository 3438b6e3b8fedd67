"""PD-SSM tagger (Terzić, Menet, Hersche, Hofmann, Rahimi 2025, "Structured Sparse Transition Matrices to Enable
State Tracking in State-Space Models", arXiv 2509.22284): a complex SSM whose transition is a column one-hot
matrix times a complex diagonal, both computed from the token.

    input_ids (B, T) -> embed -> L x [x + mixer(RMSNorm(x)); x + SwiGLU(RMSNorm(x))] -> RMSNorm -> score

The mixer, per layer, with a complex state h of N entries, h_0 = e_1 (the authors' state-tracking code):

    s_t = softmax(W_S u_t)  (K weights)          M_t = sum_k s_t[k] A_k   (K trainable N x N matrices)
    P_t = column-wise hardmax of M_t   (backward: column-wise softmax, straight-through)
    D_t = diag(sigmoid(MLP_m(u_t)) * exp(2 pi i sigmoid(MLP_phi(u_t))))       magnitudes in (0, 1)
    h_t = P_t D_t h_{t-1} + B u_t        (B complex)        y_t = W_out [Re h_t, Im h_t] + skip * u_t

Every column of P_t is a unit vector, so P_t moves each slot's content to one slot: the set holds every map of
N slots to themselves (every permutation, every reset), hence one layer of state N runs any N-state automaton;
|d| < 1 keeps the system bounded (BIBO). The eigenvalues of P_t D_t are 0 and, on each cycle of the map, the
roots of the product of its d's: complex, modulus < 1. MLP_m and MLP_phi are two-layer GELU MLPs of width 2N as in
the authors' PyTorch state-tracking code (their JAX time-series code uses one linear layer).

Differentiable selection: the paper's (and its code's) straight-through estimator: the forward pass uses the
hard one-hot P_t, the backward pass the gradient of the column-wise softmax of M_t.

Choices: the authors' state-tracking blocks are post-LayerNorm without an MLP; here the mixer sits in DeltaNet's
pre-norm (mixer + SwiGLU) blocks like the other presets, and its skip and readout are the authors'.
Fast path: scan.py, a parallel scan over (column map, diagonal, input) triples in log2(T) rounds; naive.py is
the dense loop it is tested against.

Padding: a pad gets P = I, d = 1 and no input: an identity step; real positions see the same values with left or
right padding as without.
"""

import math

import torch
from torch import nn

from ..deltanet.modeling_deltanet import DeltaNetForTokenClassification, DeltaNetModel
from .configuration_pd_ssm import PDSSMConfig
from .scan import pd_ssm_scan


def gelu_mlp(width: int, hidden: int, out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, out))


class PDSSMMixer(nn.Module):
    def __init__(self, config: PDSSMConfig):
        super().__init__()
        width, size, words = config.hidden_size, config.state_size, config.dictionary_size
        # N(0, 1) as in the authors' code (not the usual 0.02, which would give every token the same P_t at the start)
        self.selector = nn.Parameter(torch.randn(words, width))  # W_S
        self.dictionary = nn.Parameter(torch.randn(words, size, size) / math.sqrt(size))  # A_1 .. A_K
        self.magnitude = gelu_mlp(width, 2 * size, size)
        self.phase = gelu_mlp(width, 2 * size, size)
        self.input_proj = nn.Linear(width, 2 * size, bias=False)  # B: real and imaginary parts
        self.readout = nn.Linear(2 * size, width)  # C on [Re h, Im h]
        self.skip = nn.Parameter(torch.randn(width) / math.sqrt(width))

    def forward(self, u, mask):
        """u (B, T, D), mask (B, T, 1) of 0/1 -> (B, T, D)."""
        size, real = self.dictionary.shape[-1], mask.bool()
        dtype = torch.promote_types(u.dtype, torch.float32)  # complex64 at least (no half-precision polar)
        weights = (u @ self.selector.T).softmax(-1)  # s_t (B, T, K)
        scores = torch.einsum("btk,kij->btij", weights, self.dictionary)  # M_t (B, T, N, N)
        eye = torch.eye(size, dtype=u.dtype, device=u.device)
        p_soft = torch.where(real.unsqueeze(-1), scores.softmax(-2), eye)  # column-wise softmax; pads: I
        d = torch.polar(torch.sigmoid(self.magnitude(u)).to(dtype),
                        2 * math.pi * torch.sigmoid(self.phase(u)).to(dtype))  # (B, T, N)
        d = torch.where(real, d, torch.ones_like(d))
        b = torch.complex(*(self.input_proj(u) * mask).to(dtype).chunk(2, dim=-1))  # B u_t (B, T, N)
        h0 = torch.zeros(size, dtype=b.dtype, device=u.device)
        h0[0] = 1
        h = pd_ssm_scan(p_soft.to(dtype), d, b, h0)  # (B, T, N)
        return self.readout(torch.cat([h.real, h.imag], dim=-1).to(u.dtype)) + self.skip * u


class PDSSMModel(DeltaNetModel):
    """DeltaNet's backbone (pre-norm mixer + SwiGLU blocks, embeddings and final norm) with the PD-SSM mixer."""

    config_class = PDSSMConfig
    mixer_class = PDSSMMixer
    _auto_class = None  # DeltaNet's remote-code registration is not inherited: this file imports deltanet/


class PDSSMForTokenClassification(DeltaNetForTokenClassification):
    config_class = PDSSMConfig
    backbone_class = PDSSMModel
    _auto_class = None

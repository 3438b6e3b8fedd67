"""Pick the path for one call: the compiled CPU kernel (kernel.py) where it applies, else PyTorch.

The kernel applies to CPU tensors (any floating dtype: it computes in float32, or float64 for float64 input)
unless ``HF_STATETRACK_SCAN=torch``; if it cannot be built, `compiled.library` warns once and the PyTorch
scan (scan.py) runs. The conv kernel takes activation None or silu, and float32/float64 weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import compiled
from .kernel import causal_conv1d_compiled, selective_scan_compiled
from .scan import selective_scan_torch


def _cpu(*tensors) -> bool:
    return all(t is None or t.device.type == "cpu" for t in tensors)


def selective_scan(hidden_states, dt, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                   return_last_state=False, negative_eigenvalues=False, **kwargs):
    """Drop-in for transformers' ``mamba_selective_scan`` (same shapes: hidden_states, dt and z (b, d, L),
    A (d, N), B and C (b, N, L), D (d,)); returns (b, d, L), plus the last state (b, d, N) if asked.
    ``negative_eigenvalues`` uses the decay 2 exp(dt A) - 1 in (-1, 1) instead of exp(dt A). Other keywords
    of the original (use_mambapy, use_associative_scan) are accepted and ignored."""
    arguments = dict(D=D, z=z, delta_bias=delta_bias, delta_softplus=delta_softplus,
                     return_last_state=return_last_state, negative_eigenvalues=negative_eigenvalues)
    usable = _cpu(hidden_states, dt, A, B, C, D, z, delta_bias) and hidden_states.shape[-1] > 0
    lib = compiled.library() if usable else None
    if lib is not None:
        return selective_scan_compiled(lib, hidden_states, dt, A, B, C, **arguments)
    return selective_scan_torch(hidden_states, dt, A, B, C, **arguments)


def conv_supported(hidden_states, weight, bias=None, activation=None) -> bool:
    return (_cpu(hidden_states, weight, bias) and activation in (None, "silu", "swish") and hidden_states.shape[-1] > 0
            and weight.dtype in (torch.float32, torch.float64) and hidden_states.dtype == weight.dtype
            and (bias is None or bias.dtype == weight.dtype))


def causal_conv1d(hidden_states, weight, bias=None, activation=None, **kwargs):
    """Mamba's causal depthwise conv: (b, d, L) input, weight (d, K), bias (d,) -> act(conv) (b, d, L);
    the compiled kernel where it applies, else `causal_conv1d_reference`."""
    lib = compiled.library() if conv_supported(hidden_states, weight, bias, activation) else None
    if lib is not None:
        return causal_conv1d_compiled(lib, hidden_states, weight, bias, activation)
    return causal_conv1d_reference(hidden_states, weight, bias, activation)


def causal_conv1d_reference(hidden_states, weight, bias=None, activation=None):
    """transformers' PyTorch formula: F.conv1d with K - 1 zeros of left padding, per channel."""
    from transformers.activations import ACT2FN

    length = hidden_states.shape[-1]
    out = F.conv1d(hidden_states.to(weight.dtype), weight.unsqueeze(1), bias, padding=weight.shape[-1] - 1,
                   groups=hidden_states.shape[1])[:, :, :length]
    return (out if activation is None else ACT2FN[activation](out)).to(hidden_states.dtype)

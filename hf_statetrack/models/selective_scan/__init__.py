"""The fast CPU selective scan and causal conv, and the hooks that give them to transformers' Mamba models.

transformers (5.x) computes Mamba's scan and causal conv with the module-level functions
``mamba_selective_scan`` and ``causal_conv1d_fn`` of ``transformers.models.mamba.modeling_mamba``, which
the mixer looks up at call time; each is a CUDA kernel (mamba-ssm, causal-conv1d) when that package
imports, else PyTorch. `install` (run when transformers loads modeling_mamba, see `hf_statetrack.runtime.mamba_hook`,
or on `import hf_statetrack.models`) first checks on a tiny stock mixer that both are still looked up at
call time and that transformers' own computes what ours computes on the mixer's own call; then it replaces
both module attributes with dispatchers: CUDA tensors with the kernel package present go to the original,
everything else to `selective_scan` / `causal_conv1d` (dispatch.py: the compiled CPU kernels of kernel.py,
or PyTorch). These are the only overrides; they never
edit the installed library, and each is skipped (with a warning) when transformers' layout changes
(`upstream`).
"""

from __future__ import annotations

import importlib.util

from ...core.upstream import OURS, warn_drift
from .dispatch import causal_conv1d, causal_conv1d_reference, conv_supported, selective_scan
from .scan import SelectiveScanFn, discretize, selective_scan_reference, selective_scan_torch

_FLAG = OURS


def kernels_available(package: str = "mamba_ssm") -> bool:
    return importlib.util.find_spec(package) is not None


def _hook(module, name: str, package: str, ours, supported=lambda *a, **k: True) -> None:
    """Replace module.name by a dispatcher: the original for CUDA tensors when `package` is installed, or for
    calls `supported` refuses; `ours` otherwise. The original stays reachable as ``__wrapped__``."""
    original = getattr(module, name)
    use_kernel = kernels_available(package)

    def dispatcher(hidden_states, *args, **kwargs):
        if (use_kernel and hidden_states.is_cuda) or not supported(hidden_states, *args, **kwargs):
            return dispatcher.__wrapped__(hidden_states, *args, **kwargs)
        return ours(hidden_states, *args, **kwargs)

    setattr(dispatcher, _FLAG, True)
    dispatcher.__doc__, dispatcher.__name__ = ours.__doc__, name
    dispatcher.__wrapped__ = original  # transformers' own path, for comparisons
    setattr(module, name, dispatcher)


def install() -> bool:
    """Route transformers' Mamba scan and causal conv to ours except where the CUDA kernels run."""
    try:
        from transformers.models.mamba import modeling_mamba
    except ImportError:
        return False
    installed = True
    if not getattr(getattr(modeling_mamba, "mamba_selective_scan", None), _FLAG, False):
        if warn_drift("mamba_scan", "Mamba keeps transformers' own scan (slow on CPU)", ours=selective_scan):
            _hook(modeling_mamba, "mamba_selective_scan", "mamba_ssm", selective_scan)
        else:
            installed = False
    if not getattr(getattr(modeling_mamba, "causal_conv1d_fn", None), _FLAG, False):
        if warn_drift("mamba_conv", "Mamba keeps transformers' own causal conv (slower on CPU)", ours=causal_conv1d):
            _hook(modeling_mamba, "causal_conv1d_fn", "causal_conv1d", causal_conv1d,
                  lambda x, weight, bias=None, activation=None, **kwargs: conv_supported(x, weight, bias, activation))
        else:
            installed = False
    return installed


__all__ = ["SelectiveScanFn", "causal_conv1d", "causal_conv1d_reference", "discretize", "install",
           "kernels_available", "selective_scan", "selective_scan_reference", "selective_scan_torch"]

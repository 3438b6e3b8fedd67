"""The fast CPU selective scan, and the hook that gives it to transformers' Mamba models.

transformers (5.x) computes Mamba's scan with the module-level function
``transformers.models.mamba.modeling_mamba.mamba_selective_scan``, which the mixer looks up at
call time; it is the mamba-ssm CUDA kernel when that package imports, else a slow PyTorch loop.
`install` replaces the module attribute with a dispatcher: tensors on CUDA with the kernel present
go to the kernel, everything else to `selective_scan`. This is the one override; it never edits the
installed library, and it is skipped (with a warning) when transformers' layout changes (`upstream`).
"""

from __future__ import annotations

import importlib.util

from ...upstream import warn_drift
from .scan import SelectiveScanFn, discretize, selective_scan, selective_scan_reference

_FLAG = "_hf_statetrack_fast_scan"


def kernels_available() -> bool:
    return importlib.util.find_spec("mamba_ssm") is not None


def install() -> bool:
    """Route transformers' Mamba scan to `selective_scan` except where the CUDA kernel runs."""
    try:
        from transformers.models.mamba import modeling_mamba
    except ImportError:
        return False
    original = getattr(modeling_mamba, "mamba_selective_scan", None)
    if getattr(original, _FLAG, False):
        return True
    if not warn_drift("mamba_scan", "Mamba keeps transformers' own scan (slow on CPU)"):
        return False
    use_kernel = kernels_available()

    def mamba_selective_scan(hidden_states, *args, **kwargs):
        if use_kernel and hidden_states.is_cuda:
            return mamba_selective_scan.__wrapped__(hidden_states, *args, **kwargs)
        return selective_scan(hidden_states, *args, **kwargs)

    setattr(mamba_selective_scan, _FLAG, True)
    mamba_selective_scan.__doc__ = selective_scan.__doc__
    mamba_selective_scan.__wrapped__ = original  # transformers' own path, for comparisons
    modeling_mamba.mamba_selective_scan = mamba_selective_scan
    return True


__all__ = ["SelectiveScanFn", "discretize", "install", "kernels_available", "selective_scan",
           "selective_scan_reference"]

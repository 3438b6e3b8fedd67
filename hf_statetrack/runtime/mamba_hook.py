"""Give transformers' Mamba the fast CPU scan and conv on ``import hf_statetrack``, without importing torch.

`import hf_statetrack` stays light, so it cannot import `hf_statetrack.models` (torch, transformers). Instead
`install` asks to be told when transformers loads ``transformers.models.mamba.modeling_mamba`` (a finder
first in ``sys.meta_path`` that wraps that one module's loader) and then runs `models.selective_scan.install`;
if the module is loaded already, it patches at once. Any later ``MambaForCausalLM`` (stock, or from a Hub
checkpoint) then runs our kernels:

>>> import hf_statetrack
>>> from transformers.models.mamba import modeling_mamba  # or `from transformers import MambaForCausalLM`
>>> getattr(modeling_mamba.mamba_selective_scan, "_hf_statetrack_fast_scan", False)
True
"""

from __future__ import annotations

import importlib.abc
import sys
import warnings

TARGET = "transformers.models.mamba.modeling_mamba"


def _patch() -> None:
    try:
        from ..models import selective_scan  # registers our architectures too (hf_statetrack.models)

        selective_scan.install()
    except Exception as error:  # never break the user's import of transformers
        warnings.warn(f"hf_statetrack could not give transformers' Mamba its fast CPU scan ({type(error).__name__}: "
                      f"{error}); Mamba runs transformers' own scan. `import hf_statetrack.models` retries.",
                      stacklevel=2)


class _PatchAfterLoad(importlib.abc.Loader):
    """The module's own loader, then `_patch`; everything else (get_source, ...) is the original's."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _remove_finder()
        _patch()


class _MambaFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != TARGET:
            return None
        for finder in sys.meta_path:  # the finders after us find it; we only wrap its loader
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _PatchAfterLoad(spec.loader)
                return spec
        return None


def _remove_finder() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _MambaFinder)]


def install() -> None:
    """Patch transformers' Mamba now if it is loaded, else when it loads (once; cheap: no imports here)."""
    if TARGET in sys.modules:
        _patch()
    elif not any(isinstance(f, _MambaFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MambaFinder())

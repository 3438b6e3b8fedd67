"""Token-tagging models: presets, our recurrent taggers, Mamba / Mamba-2 heads, any transformers architecture, and
the user's own PyTorch module (`own_module`).

Importing this package registers every architecture with AutoConfig / AutoModel /
AutoModelForTokenClassification and gives transformers' Mamba the fast CPU scan (nothing else
happens at import).

>>> from hf_statetrack.models import build_architecture, build_model
>>> model = build_model("transformer", vocab_size=6, num_labels=6, num_layers=1, hidden_size=32)
>>> model = build_architecture("rwkv", vocab_size=6, num_labels=6, num_layers=2, hidden_size=32)
"""

from . import mamba_tagging, module_tagger, recurrent, selective_scan, stock_heads  # noqa: F401  (registration)
from .architectures import architecture_config, build_architecture, check_architecture
from .own_module import build_module, check_module, module_config
from .presets import PRESETS, build_model, check_preset, list_presets, preset_config
from .state_size import of_model as state_size_of

selective_scan.install()  # transformers' Mamba gets the fast scan wherever the CUDA kernel is not used

__all__ = ["PRESETS", "architecture_config", "build_architecture", "build_model", "build_module", "check_architecture",
           "check_module", "check_preset", "list_presets", "module_config", "preset_config", "state_size_of"]

"""DeltaNet with negative eigenvalues (preset "deltanet"), registered with the Auto classes.

`register_for_auto_class` makes `save_pretrained` copy modeling_deltanet.py and the files it imports
(tagging_head.py is a link to models/tagging_head.py) next to the weights and write `auto_map`, so checkpoints load
without hf_statetrack (trust_remote_code=True).
`PRESET` is registered here; `allow_negative_eigenvalues=False` (a config field, passed through)
gives the original DeltaNet with beta in (0, 1) for comparison.
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..preset_spec import Preset, allow_negative_eigenvalues, register_preset
from .chunked import delta_rule_chunked
from .configuration_deltanet import DeltaNetConfig, state_size_per_layer
from .modeling_deltanet import DeltaNetForTokenClassification, DeltaNetModel
from .naive import delta_rule_reference

AutoConfig.register(DeltaNetConfig.model_type, DeltaNetConfig, exist_ok=True)
AutoModel.register(DeltaNetConfig, DeltaNetModel, exist_ok=True)
AutoModelForTokenClassification.register(DeltaNetConfig, DeltaNetForTokenClassification, exist_ok=True)
DeltaNetConfig.register_for_auto_class()
DeltaNetModel.register_for_auto_class("AutoModel")
DeltaNetForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")


def deltanet(num_layers=2, hidden_size=64, dropout=0.0, num_heads=None, intermediate_size=None, conv_size=4,
             chunk_size=16):
    """DeltaNet blocks (delta-rule mixer with beta in (0, 2), SwiGLU MLP of width 4*hidden_size); heads of
    width 16 unless num_heads is given; conv_size is the short causal convolution on q, k, v."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout,
                num_heads=num_heads or max(1, hidden_size // 16),
                intermediate_size=intermediate_size or 4 * hidden_size, conv_size=conv_size, chunk_size=chunk_size)


PRESET = Preset(name="deltanet", knobs_to_config=deltanet, config_class=DeltaNetConfig,
                model_class=DeltaNetForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, num_heads=2, chunk_size=4),
                recurrent=False, eigenvalues=allow_negative_eigenvalues, loads_without_package=True,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "DeltaNetConfig", "DeltaNetForTokenClassification", "DeltaNetModel", "delta_rule_chunked",
           "delta_rule_reference", "deltanet"]

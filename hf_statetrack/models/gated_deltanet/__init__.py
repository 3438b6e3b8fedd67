"""Gated DeltaNet (preset "gated_deltanet"): the delta rule with a data-dependent decay, registered with the Auto
classes. Checkpoints load with hf_statetrack installed (not as remote code: the modeling builds on deltanet/).
`PRESET` is registered here; `allow_negative_eigenvalues: false` gives beta in (0, 1).
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..deltanet.configuration_deltanet import state_size_per_layer
from ..preset_spec import Preset, allow_negative_eigenvalues, register_preset
from .chunked import gated_delta_rule_chunked
from .configuration_gated_deltanet import GatedDeltaNetConfig
from .modeling_gated_deltanet import GatedDeltaNetForTokenClassification, GatedDeltaNetModel
from .naive import gated_delta_rule_reference

AutoConfig.register(GatedDeltaNetConfig.model_type, GatedDeltaNetConfig, exist_ok=True)
AutoModel.register(GatedDeltaNetConfig, GatedDeltaNetModel, exist_ok=True)
AutoModelForTokenClassification.register(GatedDeltaNetConfig, GatedDeltaNetForTokenClassification, exist_ok=True)


def gated_deltanet(num_layers=2, hidden_size=64, dropout=0.0, num_heads=None, intermediate_size=None, conv_size=4,
                   chunk_size=16):
    """DeltaNet blocks with a per-head decay gate (beta in (0, 2) unless allow_negative_eigenvalues is false);
    heads of width 16 unless num_heads is given."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout,
                num_heads=num_heads or max(1, hidden_size // 16),
                intermediate_size=intermediate_size or 4 * hidden_size, conv_size=conv_size, chunk_size=chunk_size)


PRESET = Preset(name="gated_deltanet", knobs_to_config=gated_deltanet, config_class=GatedDeltaNetConfig,
                model_class=GatedDeltaNetForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, num_heads=2, chunk_size=4),
                recurrent=False, eigenvalues=allow_negative_eigenvalues, loads_without_package=False,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "GatedDeltaNetConfig", "GatedDeltaNetForTokenClassification", "GatedDeltaNetModel",
           "gated_delta_rule_chunked", "gated_delta_rule_reference", "gated_deltanet"]

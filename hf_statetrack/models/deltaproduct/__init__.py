"""DeltaProduct (preset "deltaproduct"): n_h Householder steps per token, registered with the Auto classes.

Checkpoints load with hf_statetrack installed (the modeling code builds on deltanet/, so it is not copied as
remote code). `PRESET` is registered here.
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..deltanet.configuration_deltanet import state_size_per_layer
from ..preset_spec import Preset, allow_negative_eigenvalues, register_preset
from .chunked import delta_product_chunked
from .configuration_deltaproduct import DeltaProductConfig
from .modeling_deltaproduct import DeltaProductForTokenClassification, DeltaProductModel
from .naive import delta_product_reference

AutoConfig.register(DeltaProductConfig.model_type, DeltaProductConfig, exist_ok=True)
AutoModel.register(DeltaProductConfig, DeltaProductModel, exist_ok=True)
AutoModelForTokenClassification.register(DeltaProductConfig, DeltaProductForTokenClassification, exist_ok=True)


def deltaproduct(num_layers=1, hidden_size=64, dropout=0.0, num_householder=2, num_heads=None,
                 intermediate_size=None, conv_size=4, chunk_size=32):
    """DeltaNet blocks taking num_householder delta-rule steps per token (beta in (0, 2)); heads of width 16
    unless num_heads is given; chunk_size counts sub-steps (num_householder per token)."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout,
                num_householder=num_householder, num_heads=num_heads or max(1, hidden_size // 16),
                intermediate_size=intermediate_size or 4 * hidden_size, conv_size=conv_size, chunk_size=chunk_size)


PRESET = Preset(name="deltaproduct", knobs_to_config=deltaproduct, config_class=DeltaProductConfig,
                model_class=DeltaProductForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, num_heads=2, num_householder=2, chunk_size=4),
                recurrent=False, eigenvalues=allow_negative_eigenvalues, loads_without_package=False,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "DeltaProductConfig", "DeltaProductForTokenClassification", "DeltaProductModel",
           "delta_product_chunked", "delta_product_reference", "deltaproduct"]

"""Mamba with negative eigenvalues (decays in (-1, 1)), registered with the Auto classes, and its preset.

`register_for_auto_class` makes `save_pretrained` copy configuration_mamba_negeig.py and
modeling_mamba_negeig.py next to the weights and write `auto_map`; loading with trust_remote_code
still needs hf_statetrack installed (the modeling file imports its scan).
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..preset_spec import Preset, register_preset
from ..state_size import every_layer, mamba_layer
from .configuration_mamba_negeig import MambaNegEigConfig
from .modeling_mamba_negeig import MambaNegEigForTokenClassification, MambaNegEigMixer, MambaNegEigModel

AutoConfig.register(MambaNegEigConfig.model_type, MambaNegEigConfig, exist_ok=True)
AutoModel.register(MambaNegEigConfig, MambaNegEigModel, exist_ok=True)
AutoModelForTokenClassification.register(MambaNegEigConfig, MambaNegEigForTokenClassification, exist_ok=True)
MambaNegEigConfig.register_for_auto_class()
MambaNegEigModel.register_for_auto_class("AutoModel")
MambaNegEigForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")


def mamba_negeig(num_layers=2, hidden_size=64, dropout=0.0, state_size=16, expand=2):
    """Mamba with decays 2 exp(dt A) - 1 in (-1, 1) (Grazzi et al. 2024); one layer learns parity.
    Same knobs as `mamba`; dropout is before the classifier."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, state_size=state_size, expand=expand,
                classifier_dropout=dropout)


PRESET = Preset(name="mamba_negeig", knobs_to_config=mamba_negeig, config_class=MambaNegEigConfig,
                model_class=MambaNegEigForTokenClassification, tiny=dict(num_layers=2, hidden_size=16, state_size=4),
                recurrent=False, eigenvalues="[-1, 1]", loads_without_package=False,
                state_size=every_layer(mamba_layer))
register_preset(PRESET)

__all__ = ["PRESET", "MambaNegEigConfig", "MambaNegEigForTokenClassification", "MambaNegEigMixer",
           "MambaNegEigModel", "mamba_negeig"]

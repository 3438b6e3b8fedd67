"""PD-SSM (preset "pd_ssm"): transitions P_t D_t (column one-hot times complex diagonal), registered with the Auto
classes. Checkpoints load with hf_statetrack installed (the blocks are DeltaNet's). `PRESET` is registered here.
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..preset_spec import Preset, register_preset
from .configuration_pd_ssm import PDSSMConfig, state_size_per_layer
from .modeling_pd_ssm import PDSSMForTokenClassification, PDSSMModel
from .naive import pd_ssm_reference
from .scan import pd_ssm_scan

AutoConfig.register(PDSSMConfig.model_type, PDSSMConfig, exist_ok=True)
AutoModel.register(PDSSMConfig, PDSSMModel, exist_ok=True)
AutoModelForTokenClassification.register(PDSSMConfig, PDSSMForTokenClassification, exist_ok=True)


def pd_ssm(num_layers=1, hidden_size=64, dropout=0.0, state_size=16, dictionary_size=8, intermediate_size=None):
    """PD-SSM mixer + SwiGLU MLP blocks: a complex state of state_size entries moved by a token-chosen column
    one-hot matrix (mixed from dictionary_size score matrices) and scaled by a complex diagonal; one layer runs
    any automaton of state_size states. MLP width 4*hidden_size unless intermediate_size is given."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout, state_size=state_size,
                dictionary_size=dictionary_size, intermediate_size=intermediate_size or 4 * hidden_size)


PRESET = Preset(name="pd_ssm", knobs_to_config=pd_ssm, config_class=PDSSMConfig,
                model_class=PDSSMForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, state_size=4, dictionary_size=2),
                recurrent=True, eigenvalues="complex, |z| < 1", loads_without_package=False,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "PDSSMConfig", "PDSSMForTokenClassification", "PDSSMModel", "pd_ssm", "pd_ssm_reference",
           "pd_ssm_scan", "state_size_per_layer"]

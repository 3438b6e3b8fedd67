"""IDS4, the input-dependent non-diagonal SSM (preset "ids4"), registered with the Auto classes.

`register_for_auto_class` makes `save_pretrained` copy modeling_ids4.py, configuration_ids4.py and tagging_head.py
(a link to models/tagging_head.py) next to the weights and write `auto_map`, so checkpoints load without
hf_statetrack (trust_remote_code=True).
`PRESET` is registered here.
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..preset_spec import Preset, register_preset
from .configuration_ids4 import IDS4Config, state_size_per_layer
from .modeling_ids4 import IDS4ForTokenClassification, IDS4Model, ids4_scan
from .naive import ids4_scan_reference

AutoConfig.register(IDS4Config.model_type, IDS4Config, exist_ok=True)
AutoModel.register(IDS4Config, IDS4Model, exist_ok=True)
AutoModelForTokenClassification.register(IDS4Config, IDS4ForTokenClassification, exist_ok=True)
IDS4Config.register_for_auto_class()
IDS4Model.register_for_auto_class("AutoModel")
IDS4ForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")


def ids4(num_layers=1, hidden_size=64, dropout=0.0, num_heads=4, state_size=8, intermediate_size=None):
    """IDS4 blocks (per head a column-stochastic state_size x state_size transition computed from each token,
    then a GELU MLP of width 4*hidden_size unless intermediate_size is given); one layer solves every group."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout, num_heads=num_heads,
                state_size=state_size, intermediate_size=intermediate_size or 4 * hidden_size)


# column-stochastic transitions: complex eigenvalues of modulus <= 1 (a permutation's roots of unity included)
PRESET = Preset(name="ids4", knobs_to_config=ids4, config_class=IDS4Config, model_class=IDS4ForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, num_heads=2, state_size=4),
                recurrent=True, eigenvalues="complex, |z| <= 1", loads_without_package=True,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "IDS4Config", "IDS4ForTokenClassification", "IDS4Model", "ids4", "ids4_scan",
           "ids4_scan_reference"]

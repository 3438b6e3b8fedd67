"""RWKV-7 "Goose" (preset "rwkv7"), registered with the Auto classes.

`register_for_auto_class` makes `save_pretrained` copy modeling_rwkv7.py and the files it imports (tagging_head.py
is a link to models/tagging_head.py) next to the weights and write `auto_map`, so checkpoints load without
hf_statetrack (trust_remote_code=True). `PRESET` is registered here.
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..preset_spec import Preset, register_preset
from .chunked import rwkv7_chunked
from .configuration_rwkv7 import RWKV7Config, state_size_per_layer
from .modeling_rwkv7 import RWKV7ForTokenClassification, RWKV7Model
from .naive import rwkv7_reference

AutoConfig.register(RWKV7Config.model_type, RWKV7Config, exist_ok=True)
AutoModel.register(RWKV7Config, RWKV7Model, exist_ok=True)
AutoModelForTokenClassification.register(RWKV7Config, RWKV7ForTokenClassification, exist_ok=True)
RWKV7Config.register_for_auto_class()
RWKV7Model.register_for_auto_class("AutoModel")
RWKV7ForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")


def rwkv7(num_layers=2, hidden_size=64, dropout=0.0, head_dim=16, intermediate_size=None, chunk_size=16):
    """RWKV-7 blocks (time mix with the generalised delta rule: per-channel decay in (0.545, 1), in-context
    learning rate in (0, 1); channel mix of width 4*hidden_size unless intermediate_size is given); heads of
    width head_dim."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout, head_dim=head_dim,
                intermediate_size=intermediate_size or 4 * hidden_size, chunk_size=chunk_size)


# transitions diag(w) - kappa^T (a kappa): real eigenvalues in (exp(-e^-0.5) - 1, 1) (modeling_rwkv7.py)
PRESET = Preset(name="rwkv7", knobs_to_config=rwkv7, config_class=RWKV7Config, model_class=RWKV7ForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, head_dim=8, chunk_size=4),
                recurrent=False, eigenvalues="(-0.455, 1)", loads_without_package=True,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "RWKV7Config", "RWKV7ForTokenClassification", "RWKV7Model", "rwkv7", "rwkv7_chunked",
           "rwkv7_reference", "state_size_per_layer"]

"""LSTM, GRU and Elman-RNN taggers (one config, `cell` picks the torch module), registered with the Auto classes.

`register_for_auto_class` makes `save_pretrained` copy configuration_recurrent.py, modeling_recurrent.py and
tagging_head.py (a link to models/tagging_head.py) next to the weights and write `auto_map`, so checkpoints load
without hf_statetrack (trust_remote_code=True).
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from .configuration_recurrent import CELLS, RecurrentConfig
from .modeling_recurrent import RecurrentForTokenClassification, RecurrentModel

AutoConfig.register(RecurrentConfig.model_type, RecurrentConfig, exist_ok=True)
AutoModel.register(RecurrentConfig, RecurrentModel, exist_ok=True)
AutoModelForTokenClassification.register(RecurrentConfig, RecurrentForTokenClassification, exist_ok=True)
RecurrentConfig.register_for_auto_class()
RecurrentModel.register_for_auto_class("AutoModel")
RecurrentForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")

__all__ = ["CELLS", "RecurrentConfig", "RecurrentForTokenClassification", "RecurrentModel"]

"""Mamba / Mamba-2 token-classification heads, registered for the stock MambaConfig and Mamba2Config.

`register_for_auto_class` makes `save_pretrained` copy modeling_mamba_tagging.py and tagging_head.py (a link to
models/tagging_head.py) next to the weights and write `auto_map`, so checkpoints load without hf_statetrack
(trust_remote_code=True).
"""

from transformers import AutoModelForTokenClassification, Mamba2Config, MambaConfig

from .modeling_mamba_tagging import Mamba2ForTokenClassification, MambaForTokenClassification

AutoModelForTokenClassification.register(MambaConfig, MambaForTokenClassification, exist_ok=True)
AutoModelForTokenClassification.register(Mamba2Config, Mamba2ForTokenClassification, exist_ok=True)
MambaForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")
Mamba2ForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")

__all__ = ["Mamba2ForTokenClassification", "MambaForTokenClassification"]

"""The generic tagger over any transformers base model (`model: {architecture: <model_type>, ...}`), registered
with the Auto classes under its own model_type, so stock token-classification heads are left alone.

`register_for_auto_class` makes `save_pretrained` copy modeling_architecture.py, its config and tagging_head.py (a
link to models/tagging_head.py) next to the weights and write `auto_map`, so checkpoints load without hf_statetrack
(trust_remote_code=True).
"""

from transformers import AutoConfig, AutoModelForTokenClassification

from .configuration_architecture import ArchitectureConfig
from .modeling_architecture import ArchitectureForTokenClassification

AutoConfig.register(ArchitectureConfig.model_type, ArchitectureConfig, exist_ok=True)
AutoModelForTokenClassification.register(ArchitectureConfig, ArchitectureForTokenClassification, exist_ok=True)
ArchitectureConfig.register_for_auto_class()
ArchitectureForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")

__all__ = ["ArchitectureConfig", "ArchitectureForTokenClassification"]

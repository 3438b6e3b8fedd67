"""The tagger over the user's own PyTorch module, registered with AutoConfig and AutoModelForTokenClassification
under its own model_type, so that `statetrack eval` and `from_pretrained` load its checkpoints (with hf_statetrack
and the user's package importable)."""

from transformers import AutoConfig, AutoModelForTokenClassification

from .configuration_module import ModuleConfig
from .modeling_module import ModuleForTokenClassification

AutoConfig.register(ModuleConfig.model_type, ModuleConfig, exist_ok=True)
AutoModelForTokenClassification.register(ModuleConfig, ModuleForTokenClassification, exist_ok=True)

__all__ = ["ModuleConfig", "ModuleForTokenClassification"]

"""Configuration of the generic tagger: any transformers base model, built from its config, plus a linear head.

>>> config = ArchitectureConfig(backbone={"model_type": "mamba", "hidden_size": 16, "num_hidden_layers": 1},
...                             num_labels=3)
>>> config.model_type, type(config.backbone_config()).__name__, config.backbone_config().hidden_size
('statetrack_architecture', 'MambaConfig', 16)

The backbone is stored as the fields it was built from (`model_type` plus the fields we set), not as the full
config dict, so a checkpoint rebuilds exactly `AutoConfig.for_model(model_type, **fields)`: the public API, and
no dependency on how a given transformers release nests sub-configs.

Imports only transformers, so that a saved checkpoint loads without hf_statetrack (remote code).
"""

import importlib

from huggingface_hub.dataclasses import strict
from transformers import AutoConfig, PreTrainedConfig


@strict
class ArchitectureConfig(PreTrainedConfig):
    """backbone: {"model_type": ..., **config fields} of a transformers base model (AutoModel.from_config).
    dropout: before the classifier. imports: modules imported before the backbone is built (a user's package that
    registers its model_type with AutoConfig / AutoModel)."""

    model_type = "statetrack_architecture"

    backbone: dict | None = None
    dropout: float | int = 0.0
    imports: list | None = None

    def backbone_config(self) -> PreTrainedConfig:
        for name in self.imports or ():
            importlib.import_module(name)
        fields = dict(self.backbone or {})
        return AutoConfig.for_model(fields.pop("model_type"), **fields)

    def validate_architecture(self):
        if not self.backbone or "model_type" not in self.backbone:
            raise ValueError("ArchitectureConfig needs backbone={'model_type': ..., **fields}")

"""Configuration of the tagger over the user's own PyTorch module (`model: {module: "my_pkg.models:MyNet", ...}`).

>>> config = ModuleConfig(module="my_pkg.models:MyNet", vocab_size=7, num_labels=3, hidden_size=32,
...                       module_kwargs={"kernel": 3})
>>> config.model_type, config.num_layers, config.module_kwargs
('statetrack_module', 2, {'kernel': 3})

A checkpoint stores the import path and the arguments, not the code: loading it imports `module` (and `imports`)
again, so the package that defines it must be importable wherever the checkpoint is loaded.
"""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class ModuleConfig(PreTrainedConfig):
    """module: "package.module:Name", a class or function called as Name(vocab_size=..., hidden_size=...,
    num_layers=..., **module_kwargs) that returns a torch.nn.Module mapping input ids (B, T) to hidden states
    (B, T, hidden_size). imports: modules imported before it (`model: {import: ...}`)."""

    model_type = "statetrack_module"
    attribute_map = {"num_layers": "num_hidden_layers"}

    module: str | None = None
    vocab_size: int = 2
    hidden_size: int = 64
    num_hidden_layers: int = 2
    module_kwargs: dict | None = None
    imports: list | None = None

    def validate_architecture(self):
        if not self.module:
            raise ValueError("ModuleConfig needs module='package.module:Name'")

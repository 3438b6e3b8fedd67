"""The user's own PyTorch module as a token tagger: `model: {module: "my_pkg.models:MyNet", num_layers: 2, ...}`.

>>> model = build_module("torch.nn:Linear", vocab_size=7, num_labels=5, hidden_size=8)
Traceback (most recent call last):
...
hf_statetrack.core.errors.StateTrackError: model.module: torch.nn:Linear cannot be called with vocab_size, \
hidden_size, num_layers (missing a required argument: 'in_features'); it must take vocab_size, hidden_size, \
num_layers and the model's other keys, and takes in_features, out_features, bias, device, dtype

`Name` (a class or a function) is called as ``Name(vocab_size=..., hidden_size=..., num_layers=..., **others)``,
every other key of the model section passed through as a keyword argument (`dropout` too: the head adds none), and
must return a torch.nn.Module mapping input ids (B, T) to hidden states (B, T, hidden_size). `num_layers` and
`hidden_size` default to 2 and 64. Validation imports it, checks the arguments, builds it and runs one forward of
2 x 8 tokens (`smoke.smoke_test`), so any mistake is one line before data is generated. Importing runs the user's
code.
"""

from __future__ import annotations

import torch
from transformers import PreTrainedModel

from .architectures import check_sizes
from .module_tagger import ModuleConfig, ModuleForTokenClassification
from .module_tagger.modeling_module import WHAT, user_factory
from .smoke import smoke_test
from .state_size import of_module


def module_config(module: str, *, vocab_size: int, num_labels: int, imports: list[str] | None = None,
                  num_layers: int = 2, hidden_size: int = 64, **kwargs) -> ModuleConfig:
    """The tagger's config; imports the module and checks it takes these arguments (nothing is built yet)."""
    check_sizes(f"{WHAT} {module}", num_layers=num_layers, hidden_size=hidden_size)
    config = ModuleConfig(module=module, vocab_size=vocab_size, num_labels=num_labels, hidden_size=hidden_size,
                          num_hidden_layers=num_layers, module_kwargs=kwargs or None, imports=imports or None)
    user_factory(config)
    return config


def check_module(module: str, *, vocab_size: int, num_labels: int, **knobs) -> ModuleConfig:
    """`module_config`, then the tagger built and run once, and the module's own ``state_size()`` (if any) asked
    once: whatever fails does so here, in one line, before any data is generated."""
    config = module_config(module, vocab_size=vocab_size, num_labels=num_labels, **knobs)
    smoke_test(lambda: ModuleForTokenClassification(config), f"{WHAT} {module}",
               "fix the module or the model section's keys", vocab_size=vocab_size)
    with torch.device("meta"):
        of_module(ModuleForTokenClassification(config).backbone.net)
    return config


def build_module(module: str, *, vocab_size: int, num_labels: int, **knobs) -> PreTrainedModel:
    """A freshly initialised tagger over the user's module: logits (B, T, num_labels) for input_ids (B, T)."""
    return ModuleForTokenClassification(module_config(module, vocab_size=vocab_size, num_labels=num_labels, **knobs))

"""The user's own PyTorch module under our tagging head (`model: {module: "my_pkg.models:MyNet", ...}`):

    input_ids (B, T) -> Name(vocab_size, hidden_size, num_layers, **kwargs) (B, T, hidden_size) -> linear (B, T, labels)

A `PreTrainedModel`, so Trainer, `save_pretrained` and `from_pretrained` work as for every other model of ours; the
config holds the import path and the arguments, and building the model (at load time too) imports the module from
that string. Only the classifier gets transformers' initialisation: the user's module keeps its own. Its forward gets
`attention_mask` only if it takes one (batches are right-padded, so a causal module may ignore it).

Every forward checks what the module returns (a floating-point tensor of shape (B, T, hidden_size), in the
weights' dtype unless autocast mixes them): validation runs one forward of 2 x 8 tokens, so a wrong shape or dtype
fails there, in one line, before any data is generated.
"""

import inspect

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput

from ...core.errors import StateTrackError
from ...core.imports import import_modules, load_object
from ..tagging_head import TokenTaggingHead
from .configuration_module import ModuleConfig

WHAT = "model.module"


def parameters_of(factory) -> list[str] | None:
    """The parameter names of a class or function (None where Python cannot tell, e.g. a builtin)."""
    try:
        return list(inspect.signature(factory).parameters)
    except (TypeError, ValueError):
        return None


def user_factory(config: ModuleConfig):
    """config.imports imported, then config.module: a class or function that takes our arguments; returns it and
    the keyword arguments it is called with. One line naming what to fix if any of it fails."""
    import_modules(config.imports or [], "model.import")
    factory = load_object(config.module, WHAT)
    if not callable(factory):
        raise StateTrackError(f"{WHAT}: {config.module} is not callable ({type(factory).__name__} {factory!r:.40}); "
                              f"name the torch.nn.Module subclass (or a function returning one)")
    kwargs = dict(vocab_size=config.vocab_size, hidden_size=config.hidden_size, num_layers=config.num_hidden_layers,
                  **(config.module_kwargs or {}))
    names = parameters_of(factory)
    if names is not None:
        try:
            inspect.signature(factory).bind(**kwargs)
        except TypeError as err:
            own = [n for n in names if n not in ("self", "args", "kwargs")]
            raise StateTrackError(f"{WHAT}: {config.module} cannot be called with {', '.join(kwargs)} ({err}); it "
                                  f"must take vocab_size, hidden_size, num_layers and the model's other keys, and "
                                  f"takes {', '.join(own) or 'nothing'}") from None
    return factory, kwargs


def build_user_module(config: ModuleConfig) -> nn.Module:
    factory, kwargs = user_factory(config)
    net = factory(**kwargs)
    if not isinstance(net, nn.Module):
        raise StateTrackError(f"{WHAT}: {config.module}(...) returned a {type(net).__name__}, not a torch.nn.Module")
    return net


class ModuleBackbone(nn.Module):
    """The user's module (`net`) as a base model: the `config` the tagging head reads the width from, and a
    `BaseModelOutput` whose hidden_states (for probes) are the module's output, the one layer we can name."""

    def __init__(self, net: nn.Module, config: ModuleConfig):
        super().__init__()
        self.net, self.config = net, config
        self.takes_mask = "attention_mask" in (parameters_of(net.forward) or ())

    def forward(self, input_ids, attention_mask=None, output_hidden_states=None, **kwargs) -> BaseModelOutput:
        hidden = self.net(input_ids, attention_mask=attention_mask) if self.takes_mask else self.net(input_ids)
        weights = next((p.dtype for p in self.net.parameters() if p.is_floating_point()), torch.get_default_dtype())
        check_hidden(hidden, input_ids, self.config, weights)
        return BaseModelOutput(last_hidden_state=hidden, hidden_states=(hidden,) if output_hidden_states else None)


def check_hidden(hidden, input_ids: torch.Tensor, config: ModuleConfig, dtype: torch.dtype) -> None:
    """What the module returned must be hidden states (B, T, hidden_size) of its weights' `dtype`."""
    where = f"{WHAT}: {config.module}"
    if not isinstance(hidden, torch.Tensor):
        raise StateTrackError(f"{where} returned a {type(hidden).__name__} from forward; return the hidden states "
                              f"alone, a tensor (B, T, hidden_size)")
    expected = (*input_ids.shape, config.hidden_size)
    if tuple(hidden.shape) != expected:
        raise StateTrackError(f"{where} returned hidden states of shape {tuple(hidden.shape)} for input ids of shape "
                              f"{tuple(input_ids.shape)}; return (B, T, hidden_size) = {expected}")
    if not hidden.is_floating_point():
        raise StateTrackError(f"{where} returned {hidden.dtype} hidden states; return floating-point ones")
    if hidden.dtype != dtype and not torch.is_autocast_enabled(hidden.device.type):
        raise StateTrackError(f"{where} returned {hidden.dtype} hidden states for weights of {dtype}; return the "
                              f"weights' dtype (no .double() or .half() inside forward)")


class ModuleForTokenClassification(TokenTaggingHead, PreTrainedModel):
    """One label per input position: the user's module -> linear (`TokenTaggingHead`, no dropout of its own)."""

    config_class = ModuleConfig
    base_model_prefix = "backbone"

    def build_backbone(self, config: ModuleConfig) -> nn.Module:
        return ModuleBackbone(build_user_module(config), config)

    def _init_weights(self, module):
        if module is getattr(self, self.head_name, None):  # the user's own layers keep the init their code gives them
            super()._init_weights(module)

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        model = super().from_pretrained(*args, **kwargs)
        model.restore_unsaved_buffers()
        return model

    @torch.no_grad()
    def restore_unsaved_buffers(self) -> None:
        """from_pretrained builds the module on the meta device, then loads what was saved: buffers registered with
        persistent=False (a fixed mask, a position table) come back uninitialised, so they are taken from a fresh
        build of the module (the random generator's state is left as it was)."""
        net = self.backbone.net
        saved = set(net.state_dict())
        unsaved = [name for name, _ in net.named_buffers() if name not in saved]
        if not unsaved:
            return
        with torch.random.fork_rng(devices=[]):
            fresh = dict(build_user_module(self.config).named_buffers())
        for name in unsaved:
            owner, _, leaf = name.rpartition(".")
            old = net.get_buffer(name)
            net.get_submodule(owner).register_buffer(leaf, fresh[name].to(old.device, old.dtype), persistent=False)

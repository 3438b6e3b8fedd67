"""Named model presets: a few knobs -> a transformers config and a token-tagging model trained from scratch.

>>> model = build_model("lstm", vocab_size=6, num_labels=6, hidden_size=32)
>>> preset_config("mamba2", vocab_size=6, num_labels=6, hidden_size=32, head_dim=8).num_heads
8

Every preset takes `num_layers`, `hidden_size` and `dropout`, plus its own knobs (the keyword arguments
of its function below) and, for anything else, any other field of its config class (e.g.
`num_key_value_heads` for `transformer`, `conv_kernel` for `mamba`), passed through unchanged.
All presets drop special-token ids (so no embedding row is frozen as padding) and disable the KV/SSM cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from transformers import GPT2Config, LlamaConfig, Mamba2Config, MambaConfig, PreTrainedConfig, PreTrainedModel

from ..core.errors import StateTrackError
from ..core.upstream import warn_drift
from .mamba_tagging import Mamba2ForTokenClassification, MambaForTokenClassification
from .preset_spec import PRESETS, Preset, grows_with_length, register_preset
from .recurrent import CELLS, RecurrentConfig, RecurrentForTokenClassification
from .smoke import smoke_test
from .state_size import every_layer, mamba2_layer, mamba_layer, recurrent_cell_layer
from .stock_heads import TaggingGPT2ForTokenClassification, TaggingLlamaForTokenClassification


def _num_heads(hidden_size: int, num_attention_heads: int | None) -> int:
    """Heads of width 16 unless given; the width must divide evenly."""
    heads = num_attention_heads or max(1, hidden_size // 16)
    if hidden_size % heads:
        raise StateTrackError(f"hidden_size {hidden_size} is not divisible by num_attention_heads {heads}; "
                              "pick num_attention_heads that divides hidden_size")
    return heads


def transformer(num_layers=2, hidden_size=64, dropout=0.0, num_attention_heads=None, intermediate_size=None,
                max_position_embeddings=2048):
    """Llama-style causal transformer: RoPE, RMSNorm, SwiGLU MLP of width 4*hidden_size."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size,
                num_attention_heads=_num_heads(hidden_size, num_attention_heads),
                intermediate_size=intermediate_size or 4 * hidden_size, max_position_embeddings=max_position_embeddings,
                attention_dropout=dropout, classifier_dropout=dropout)


def gpt2(num_layers=2, hidden_size=64, dropout=0.0, num_attention_heads=None, n_positions=2048):
    """GPT-2: learned absolute positions (at most n_positions tokens), LayerNorm, GELU MLP."""
    return dict(n_layer=num_layers, n_embd=hidden_size, n_head=_num_heads(hidden_size, num_attention_heads),
                n_positions=n_positions, resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout,
                classifier_dropout=dropout)


def mamba(num_layers=2, hidden_size=64, dropout=0.0, state_size=16, expand=2):
    """Mamba (selective SSM, inner width expand*hidden_size); dropout is before the classifier."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, state_size=state_size, expand=expand,
                classifier_dropout=dropout)


def mamba2(num_layers=2, hidden_size=64, dropout=0.0, state_size=16, expand=2, head_dim=16, n_groups=1,
           chunk_size=64):
    """Mamba-2 (SSD): the inner width expand*hidden_size is cut into num_heads = inner / head_dim heads,
    which share B and C in n_groups groups; head_dim must divide the inner width, n_groups the heads.
    The PyTorch path pads every sequence to a multiple of chunk_size, hence 64 rather than transformers' 256."""
    inner = expand * hidden_size
    if inner % head_dim or (inner // head_dim) % n_groups:
        raise StateTrackError(f"mamba2 needs head_dim to divide expand*hidden_size ({inner}) and n_groups to divide "
                              f"the number of heads; got head_dim {head_dim}, n_groups {n_groups}")
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, state_size=state_size, expand=expand,
                head_dim=head_dim, num_heads=inner // head_dim, n_groups=n_groups, chunk_size=chunk_size,
                classifier_dropout=dropout)


def recurrent_cell(cell: str) -> Callable[..., dict]:
    def make(num_layers=1, hidden_size=64, dropout=0.0):
        """Stacked torch nn.LSTM / nn.GRU / nn.RNN (Elman, tanh) layers; one layer solves every group."""
        return dict(cell=cell, num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout)

    return make


for _preset in [
    Preset("transformer", transformer, LlamaConfig, TaggingLlamaForTokenClassification,
           tiny=dict(num_layers=2, hidden_size=16, num_attention_heads=2), recurrent=False, eigenvalues=None,
           loads_without_package=False, state_size=grows_with_length),
    Preset("gpt2", gpt2, GPT2Config, TaggingGPT2ForTokenClassification,
           tiny=dict(num_layers=2, hidden_size=16, num_attention_heads=2, n_positions=32), recurrent=False,
           eigenvalues=None, loads_without_package=False, state_size=grows_with_length),
    Preset("mamba", mamba, MambaConfig, MambaForTokenClassification,
           tiny=dict(num_layers=2, hidden_size=16, state_size=4), recurrent=False, eigenvalues="[0, 1]",
           loads_without_package=True, state_size=every_layer(mamba_layer)),
    Preset("mamba2", mamba2, Mamba2Config, Mamba2ForTokenClassification,
           tiny=dict(num_layers=2, hidden_size=16, state_size=4, head_dim=8, chunk_size=8), recurrent=False,
           eigenvalues="[0, 1]", loads_without_package=True, state_size=every_layer(mamba2_layer)),
    *(Preset(cell, recurrent_cell(cell), RecurrentConfig, RecurrentForTokenClassification,
             tiny=dict(num_layers=2, hidden_size=16), recurrent=True, eigenvalues=None, loads_without_package=True,
             state_size=every_layer(recurrent_cell_layer))
      for cell in CELLS),
]:
    register_preset(_preset)

# Each architecture folder registers its own PRESET; imported after the built-in ones, which list first.
from . import deltanet, deltaproduct, gated_deltanet, ids4, mamba3, mamba_negeig, pd_ssm, rwkv7, stack_rnn, tape_rnn  # noqa: E402, F401  (registration)


def list_presets() -> list[str]:
    return PRESETS.names()


def preset_config(preset: str, *, vocab_size: int, num_labels: int, **knobs) -> PreTrainedConfig:
    """The config of `preset` with the given knobs, e.g. ``preset_config("gru", vocab_size=6, num_labels=6)``."""
    return PRESETS.lookup(preset)(vocab_size=vocab_size, num_labels=num_labels, **knobs)


def build_model(preset: str, *, vocab_size: int, num_labels: int, **knobs) -> PreTrainedModel:
    """A freshly initialised token tagger: logits (B, T, num_labels) for input_ids (B, T)."""
    config = preset_config(preset, vocab_size=vocab_size, num_labels=num_labels, **knobs)
    check_token_loss()
    return PRESETS.lookup(preset).model_class(config)


def check_preset(preset: str, *, vocab_size: int, num_labels: int, **knobs) -> PreTrainedConfig:
    """`preset_config`, then the model built and run once (`smoke.smoke_test`), so a size its code refuses
    fails before any data is generated."""
    config = preset_config(preset, vocab_size=vocab_size, num_labels=num_labels, **knobs)
    smoke_test(lambda: PRESETS.lookup(preset).model_class(config), f"model preset {preset!r}",
               "try other sizes (e.g. num_layers: 2, hidden_size: 64)", vocab_size=vocab_size)
    return config


@functools.cache
def check_token_loss() -> bool:
    """Once per process: every tagging head's loss relies on transformers dividing by num_items_in_batch."""
    return warn_drift("token_loss", "token-tagging losses are not divided by Trainer's num_items_in_batch, so "
                      "gradient accumulation and multi-process runs scale gradients wrongly")

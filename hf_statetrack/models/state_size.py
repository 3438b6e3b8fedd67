"""The recurrent state size of a model: how many numbers it carries from one token to the next, per layer and in all.

One record, written to results.json (`Results.state_size`) and read by the benchmarks:

    {"per_layer": [int, ...] or None, "total": int or None, "grows_with_length": bool, "how": "one short line"}

* a fixed state: `per_layer` (one count per layer) and `total` (their sum), `grows_with_length` false;
* softmax attention (every past key and value is kept): `per_layer` and `total` None, `grows_with_length` true;
* not known (an architecture no rule below covers, an own module without ``state_size()``): `per_layer` and
  `total` None, `grows_with_length` false, and `how` starts with "not known".

What counts is every number the next token's computation needs from the past, in the layer that keeps it: hidden
and cell states, SSM and delta-rule state matrices, memories, and the window of a short causal convolution
(kernel - 1 past inputs per channel: the oldest of the kernel's inputs is never needed again). Weights do not count,
nor anything recomputed from the current token.

>>> record([2 * 64, 2 * 64], "LSTM: h and c per layer")
{'per_layer': [128, 128], 'total': 256, 'grows_with_length': False, 'how': 'LSTM: h and c per layer'}
>>> record(None, "attention")["grows_with_length"]
True

Presets state a count as their `state_size` fact (`preset_spec`): a function of the built config returning the
per-layer counts (None: grows with length), whose docstring's first line is the `how`. Architectures of transformers
are counted from their config by the family rules in `LINEAR_LAYERS` / `WHOLE_MODEL`, or found to attend.
"""

from __future__ import annotations

from collections.abc import Callable

from transformers import MODEL_MAPPING, PreTrainedConfig

from ..core.errors import StateTrackError
from .generic_tagger import ArchitectureForTokenClassification
from .module_tagger import ModuleForTokenClassification


def record(per_layer: list[int] | None, how: str) -> dict:
    """The record of a fixed state (`per_layer` counts), or of one that grows with length (`per_layer` None)."""
    grows = per_layer is None
    return {"per_layer": None if grows else [int(n) for n in per_layer],
            "total": None if grows else int(sum(per_layer)), "grows_with_length": grows, "how": how}


def unknown(how: str) -> dict:
    return {"per_layer": None, "total": None, "grows_with_length": False, "how": how}


def how_of(count: Callable) -> str:
    """A count's `how`: the first paragraph of its docstring, on one line."""
    return " ".join((count.__doc__ or "").strip().split("\n\n")[0].split()).rstrip(".")


def every_layer(count: Callable[[PreTrainedConfig], int]) -> Callable[[PreTrainedConfig], list[int]]:
    """A preset's `state_size` fact from the count of one layer: that count for each of num_hidden_layers."""
    def state_size(config: PreTrainedConfig) -> list[int]:
        return [count(config)] * config.num_hidden_layers

    state_size.__doc__ = count.__doc__
    return state_size


def recurrent_cell_layer(config) -> int:
    """LSTM: h and c per layer (2 x hidden); GRU and RNN: h (hidden)."""
    return (2 if config.cell == "lstm" else 1) * config.hidden_size


# ---- counts of one layer, shared by the presets and the architectures they match ----

def mamba_layer(config) -> int:
    """Mamba: an SSM state d_inner x d_state plus a conv window d_inner x (conv_kernel - 1)."""
    return config.intermediate_size * (config.state_size + config.conv_kernel - 1)


def mamba2_layer(config) -> int:
    """Mamba-2: heads x head_dim x d_state, plus a conv window over x, B and C: (d_inner + 2 n_groups d_state) x
    (conv_kernel - 1), where d_inner = expand x hidden."""
    conv_channels = int(config.expand * config.hidden_size) + 2 * config.n_groups * config.state_size
    return config.num_heads * config.head_dim * config.state_size + conv_channels * (config.conv_kernel - 1)


def gated_deltanet_layer(config) -> int:
    """Gated DeltaNet layers of transformers (Qwen3-Next, Qwen3.5, OLMo-hybrid): value heads x key width x value
    width, plus a conv window over q, k and v of (conv kernel - 1) steps."""
    keys = config.linear_num_key_heads * config.linear_key_head_dim
    values = config.linear_num_value_heads * config.linear_value_head_dim
    return (config.linear_num_value_heads * config.linear_key_head_dim * config.linear_value_head_dim
            + (2 * keys + values) * (config.linear_conv_kernel_dim - 1))


def rg_lru_layer(config) -> int:
    """RecurrentGemma's recurrent block: the RG-LRU state (lru_width) plus a conv window lru_width x (width - 1)."""
    return config.lru_width * config.conv1d_width


def sliding_attention_layer(config) -> int:
    """Sliding-window attention: keys and values of the last window - 1 tokens (bounded, not growing)."""
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return 2 * (config.sliding_window - 1) * config.num_key_value_heads * head_dim


def rwkv_layer(config) -> int:
    """RWKV(-4): the WKV numerator, denominator and running maximum (3 x attention width) and the previous token's
    input to time mixing and to channel mixing (2 x hidden)."""
    return 3 * config.attention_hidden_size + 2 * config.hidden_size


def xlstm_layer(config) -> int:
    """xLSTM (mLSTM blocks): per head a qk x v matrix memory, a qk normaliser and a scalar stabiliser."""
    return config.num_heads * (config.qk_head_dim * config.v_head_dim + config.qk_head_dim + 1)


# model_type -> the count of one of its recurrent layers (those `layer_types` calls linear_attention, conv, mamba)
LINEAR_LAYERS = {
    "mamba": mamba_layer, "falcon_mamba": mamba_layer, "mamba2": mamba2_layer, "recurrent_gemma": rg_lru_layer,
    "qwen3_next": gated_deltanet_layer, "qwen3_5_text": gated_deltanet_layer, "olmo_hybrid": gated_deltanet_layer,
}
# model_type -> the count of every layer, for families with no `layer_types`
WHOLE_MODEL = {"rwkv": rwkv_layer, "xlstm": xlstm_layer}
ATTENDING = {"full_attention", "attention", "hybrid"}  # layer types that keep every past key and value
STATELESS = {"mlp"}  # Nemotron-H lists its MLPs as layers


def base_model_class(config: PreTrainedConfig) -> type | None:
    """The class AutoModel builds for `config` (the first of several, as AutoModel takes), None if it has none."""
    base = MODEL_MAPPING[type(config)] if type(config) in MODEL_MAPPING else None
    return base[0] if isinstance(base, tuple) else base


def attends(config: PreTrainedConfig) -> bool:
    """Its base model class runs softmax attention (transformers' SDPA / flash-attention support says so)."""
    base = base_model_class(config)
    return bool(base is not None and (getattr(base, "_supports_sdpa", False)
                                      or getattr(base, "_supports_flash_attn", False)))


def of_architecture(config: PreTrainedConfig) -> dict:
    """The record of a transformers config (a backbone built by `architectures`, or a pretrained LM's own)."""
    model_type = config.model_type
    kinds = getattr(config, "layer_types", None)
    if isinstance(kinds, (list, tuple)) and kinds:
        growing = [k for k in kinds if k in ATTENDING]
        if growing:
            return record(None, f"{model_type}: {len(growing)} of {len(kinds)} layers attend to every past token "
                                "(keys and values kept: grows with length)")
        linear = LINEAR_LAYERS.get(model_type)
        counts = {"sliding_attention": sliding_attention_layer, **dict.fromkeys(STATELESS, lambda c: 0)}
        if not all(k in counts or linear for k in kinds):
            return unknown(f"not known for architecture {model_type!r}: no rule counts its "
                           f"{', '.join(sorted(set(kinds) - set(counts)))} layers")
        rules = [counts.get(k, linear) for k in kinds]
        return record([rule(config) for rule in rules], f"{model_type}: " + "; ".join(
            dict.fromkeys(how_of(rule) for rule in rules if how_of(rule))))
    if model_type in WHOLE_MODEL:
        count = WHOLE_MODEL[model_type]
        return record(every_layer(count)(config), how_of(count))
    if attends(config):
        return record(None, f"{model_type}: softmax attention keeps every past key and value (grows with length)")
    return unknown(f"not known for architecture {model_type!r}: no rule counts its state")


def of_module(net) -> dict:
    """A user's module's record (an own module, or the base model of an architecture of theirs): from its
    ``state_size()`` (per-layer counts, or None: grows with length) if it defines one, else not known. A wrong
    return value is one line naming the fix."""
    name = type(net).__name__
    method = getattr(net, "state_size", None)
    if not callable(method):
        return unknown(f"not known: {name} defines no state_size()")
    counts = method()
    if counts is not None and not (isinstance(counts, (list, tuple)) and counts and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts)):
        raise StateTrackError(f"{name}.state_size() returned {counts!r:.60}; return a list of whole "
                              f"numbers >= 0, one per layer (numbers carried to the next token), or None if the "
                              f"state grows with length")
    return record(counts, how_of(method) or f"{name}.state_size()")


def of_model(model, preset=None) -> dict:
    """The record of a built model: `preset` (a `Preset`) counts its own; else our module tagger asks the user's
    module, the generic tagger asks its backbone (a user's own architecture may define ``state_size()``) or counts
    its config, and any other model (a pretrained LM) is counted from its config."""
    if preset is not None:
        return preset.state_record(model.config)
    if isinstance(model, ModuleForTokenClassification):
        return of_module(model.backbone.net)
    if isinstance(model, ArchitectureForTokenClassification):
        own = callable(getattr(type(model.backbone), "state_size", None))
        return of_module(model.backbone) if own else of_architecture(model.backbone.config)
    return of_architecture(model.config)

"""Any architecture transformers ships, trained from scratch as a token tagger: `model: {architecture: <model_type>}`.

>>> model = build_architecture("falcon_mamba", vocab_size=7, num_labels=5, num_layers=1, hidden_size=32)
>>> model.backbone.config.num_hidden_layers, model.backbone.config.pad_token_id, model.backbone.config.use_cache
(1, 6, False)

The knobs are `num_layers`, `hidden_size`, `dropout` (before the classifier) and any field of the model
type's config, passed through unchanged. Sizes come from one table:

* `common()` sets the fields most configs share, wherever the config class has them: depth and width, heads of
  width 16 (so they divide the width), an MLP of 4x the width, a few small experts for mixture-of-experts
  layers, the cache off, and the padding index inside the vocabulary (the last id, which is our pad) so no
  real token's embedding is frozen.
* `FAMILIES` adds what a family names its own way (Mamba-2's heads, Qwen3-Next's linear-attention heads ...).

A model type that cannot be built (unknown, an encoder-decoder, not a sequence model, a composite config, a
config that refuses these sizes) fails with one line saying why.
"""

from __future__ import annotations

import dataclasses
import inspect

import torch
from huggingface_hub.errors import StrictDataclassError
from transformers import CONFIG_MAPPING, AutoConfig, PreTrainedConfig, PreTrainedModel

from ..core.errors import StateTrackError
from ..core.imports import import_modules
from ..core.registry import Registry
from .generic_tagger import ArchitectureConfig, ArchitectureForTokenClassification
from .smoke import FORWARD_BUDGET, smoke_test, summary
from .state_size import base_model_class, of_model

HEAD_WIDTH = 16
# A transformer layer holds about 12 * width^2 parameters, a few small experts some 50 more; a model this many
# times num_layers * width^2 (and too large to run at config time) is sized by something other than our knobs:
# Ovis2 at width 32 still carries a 1.5B-parameter language model (measured: up to 10^7 times).
OUT_OF_REACH = 2000
# Tried on CPU with these defaults: every one trains (tests/models/test_architectures.py runs a step of each,
# benchmarks/architectures.py times them); docs/architectures.md's matrix lists them with those that are refused.
CPU_ARCHITECTURES = (
    "llama", "gpt2", "gpt_neox", "gemma3_text", "bert", "mamba", "mamba2", "falcon_mamba", "rwkv", "xlstm",
    "recurrent_gemma", "lfm2", "lfm2_moe", "minimax", "qwen3_next", "qwen3_5_text", "olmo_hybrid", "kimi_linear",
    "bailing_hybrid", "jamba", "bamba", "granitemoehybrid", "falcon_h1", "nemotron_h", "zamba", "zamba2",
)


def common(num_layers: int, hidden_size: int, vocab_size: int) -> dict:
    """Fields most transformers configs share; each is set only where the config class has it."""
    heads = max(1, hidden_size // HEAD_WIDTH)
    return dict(
        num_hidden_layers=num_layers, hidden_size=hidden_size, intermediate_size=4 * hidden_size,
        num_attention_heads=heads, num_key_value_heads=heads, head_dim=hidden_size // heads,
        vocab_size=vocab_size, pad_token_id=vocab_size - 1, bos_token_id=None, eos_token_id=None, use_cache=False,
        # mixture-of-experts layers: four small experts, two per token
        num_experts=4, num_local_experts=4, n_routed_experts=4, num_experts_per_tok=2,
        moe_intermediate_size=hidden_size, shared_expert_intermediate_size=hidden_size,
    )


def _ssd(width: int) -> dict:
    """Mamba-2 (SSD) mixers inside a hybrid: heads of width 16 over the inner width 2 * width, one B/C group,
    chunks of 64 (the PyTorch path pads every sequence to a multiple of the chunk)."""
    return dict(mamba_n_heads=2 * width // HEAD_WIDTH, mamba_d_head=HEAD_WIDTH, mamba_n_groups=1, mamba_d_state=16,
                mamba_chunk_size=64)


def _last_is(layers: int, kind: str, last: str) -> list[str]:
    """A layer pattern for families that do not derive one from the depth: `kind` layers, then one `last`."""
    return [kind] * (layers - 1) + [last]


def _linear_heads(width: int) -> dict:
    """Gated-DeltaNet layers of Qwen3-Next and OLMo-hybrid: as many key and value heads of width 16 as attention."""
    heads = max(1, width // HEAD_WIDTH)
    return dict(linear_num_key_heads=heads, linear_num_value_heads=heads, linear_key_head_dim=HEAD_WIDTH,
                linear_value_head_dim=HEAD_WIDTH)


# model_type -> (num_layers, hidden_size) -> the fields this family names its own way. Layer patterns: a family
# that derives its pattern from num_hidden_layers keeps it; the others are written here.
FAMILIES = {
    "mamba2": lambda layers, width: dict(num_heads=2 * width // HEAD_WIDTH, head_dim=HEAD_WIDTH, n_groups=1,
                                         chunk_size=64),
    "bamba": lambda layers, width: _ssd(width),
    "granitemoehybrid": lambda layers, width: _ssd(width) | dict(shared_intermediate_size=width),
    "falcon_h1": lambda layers, width: _ssd(width) | dict(mamba_d_ssm=2 * width),
    "qwen3_next": lambda layers, width: _linear_heads(width),
    "qwen3_5_text": lambda layers, width: _linear_heads(width),
    "olmo_hybrid": lambda layers, width: _linear_heads(width),
    "kimi_linear": lambda layers, width: dict(
        linear_num_heads=max(1, width // HEAD_WIDTH), linear_head_dim=HEAD_WIDTH, qk_rope_head_dim=HEAD_WIDTH // 2,
        qk_nope_head_dim=HEAD_WIDTH // 2, v_head_dim=HEAD_WIDTH, kv_lora_rank=HEAD_WIDTH, q_lora_rank=None),
    # Zamba / Zamba2: Mamba layers, the last one also runs the shared attention block ("hybrid"); Zamba ties the
    # shared block across hybrid layers and fails with only one, so every Zamba layer is hybrid
    "zamba": lambda layers, width: dict(layers_block_type=["hybrid"] * layers),
    "zamba2": lambda layers, width: dict(
        layers_block_type=_last_is(layers, "linear_attention", "hybrid"), n_mamba_heads=2 * width // HEAD_WIDTH,
        mamba_d_state=16, mamba_ngroups=1, chunk_size=64),
    # LFM2 (dense and MoE): short-convolution blocks, the last one attention (LFM2's own default at small depths is
    # all attention; lfm2_moe has none)
    "lfm2": lambda layers, width: dict(layer_types=_last_is(layers, "conv", "full_attention")),
    "lfm2_moe": lambda layers, width: dict(layer_types=_last_is(layers, "conv", "full_attention")),
    # Nemotron-H counts mixers, not blocks: num_layers blocks of (Mamba-2 mixer, MLP)
    "nemotron_h": lambda layers, width: dict(
        layers_block_type=["linear_attention", "mlp"] * layers, mamba_num_heads=2 * width // HEAD_WIDTH,
        mamba_head_dim=HEAD_WIDTH, ssm_state_size=16, n_groups=1, chunk_size=64),
    "xlstm": lambda layers, width: dict(num_blocks=layers, embedding_dim=width,
                                        num_heads=max(1, width // HEAD_WIDTH), chunk_size=64),
}


def fields_of(config_class: type[PreTrainedConfig]) -> set[str]:
    """The constructor fields of a config class: its dataclass fields (transformers 5.x) and its __init__ parameters
    (a config written the classic way, as a user's own may be, keeps its own __init__)."""
    fields = {f.name for f in dataclasses.fields(config_class) if f.init} if dataclasses.is_dataclass(config_class) \
        else set()
    return fields | set(inspect.signature(config_class.__init__).parameters) - {"self", "args", "kwargs"}


def config_class_of(model_type: str) -> type[PreTrainedConfig]:
    if model_type not in CONFIG_MAPPING:
        names = Registry("transformers model_type")
        for name in CONFIG_MAPPING.keys():  # a lazy mapping: len() is 0, keys() lists every model_type
            names.register(name, None)
        raise StateTrackError(names.unknown_message(model_type).split(" available:")[0] +
                              " transformers.CONFIG_MAPPING.keys() lists every model_type")
    return CONFIG_MAPPING[model_type]


def backbone_fields(model_type: str, vocab_size: int, num_layers: int = 2, hidden_size: int = 64,
                    **overrides) -> dict:
    """`{"model_type": ..., **fields}` for `AutoConfig.for_model`: the table's defaults, then the user's fields."""
    config_class = config_class_of(model_type)
    valid = fields_of(config_class)
    for name in overrides:
        if name not in valid:
            known = Registry(f"{model_type} config field")
            for field in sorted(valid | {"num_layers", "hidden_size", "dropout"}):
                known.register(field, None)
            known.lookup(name)
    aliases = {k: v for k, v in getattr(config_class, "attribute_map", {}).items() if v in valid}  # GPT-2's n_embd
    defaults = {aliases.get(k, k): v for k, v in common(num_layers, hidden_size, vocab_size).items()}
    defaults = {k: v for k, v in defaults.items() if k in valid}
    defaults |= FAMILIES.get(model_type, lambda *_: {})(num_layers, hidden_size)
    return {"model_type": model_type, **defaults, **overrides}


def check_sequence_model(model_type: str, config: PreTrainedConfig) -> None:
    """A tagger needs a base model that maps input_ids (B, T) to hidden states (B, T, H) on its own."""
    base = base_model_class(config)
    if base is None:
        raise StateTrackError(f"architecture {model_type!r} has no base model (AutoModel) in transformers; "
                              "it cannot be trained as a token tagger")
    if getattr(config, "is_encoder_decoder", False):
        raise StateTrackError(f"architecture {model_type!r} is an encoder-decoder ({base.__name__} needs decoder "
                              "inputs), not a sequence tagger; pick a decoder-only or encoder model")
    if getattr(config, "hidden_size", None) is None:
        raise StateTrackError(f"architecture {model_type!r} is a composite model (its config has sub-configs and no "
                              "hidden_size); use its text model's type, e.g. clip_text_model")
    inputs = list(inspect.signature(base.forward).parameters)[1:2]
    if inputs != ["input_ids"]:
        raise StateTrackError(f"architecture {model_type!r} is not a sequence model: {base.__name__} reads "
                              f"{inputs[0] if inputs else 'no tensor'} first, not input_ids")


def check_sizes(what: str, num_layers: int = 2, hidden_size: int = 64, dropout: float = 0.0) -> None:
    """Our own knobs of `what` (e.g. "architecture 'rwkv'"): whole sizes >= 1 (a string or 0 would reach the model's
    arithmetic), dropout in [0, 1)."""
    for name, value in (("num_layers", num_layers), ("hidden_size", hidden_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise StateTrackError(f"{what}: {name} must be a whole number >= 1, got {value!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise StateTrackError(f"{what}: dropout must be a number in [0, 1), got {dropout!r}")


def architecture_config(model_type: str, *, vocab_size: int, num_labels: int, dropout: float = 0.0,
                        imports: list[str] | None = None, **knobs) -> ArchitectureConfig:
    """The tagger's config; the backbone config is built once here so that bad sizes fail now, in one line.
    `imports`: modules that register `model_type` (the user's own package), imported first and kept in the config,
    so that a checkpoint imports them again when it loads."""
    import_modules(imports or [], "model.import")
    sizes = {k: v for k, v in knobs.items() if k in ("num_layers", "hidden_size")}
    check_sizes(f"architecture {model_type!r}", dropout=dropout, **sizes)
    fields = backbone_fields(model_type, vocab_size, **knobs)
    try:
        backbone = AutoConfig.for_model(**fields)
    except Exception as err:  # a config's own checks raise anything on user values (0 heads: ZeroDivisionError)
        text = " ".join(str(err).split()) if isinstance(err, (ValueError, TypeError, StrictDataclassError)) else \
            summary(err)  # the config's own messages say enough; others need their type (ZeroDivisionError)
        raise StateTrackError(f"architecture {model_type!r}: {text}") from None
    try:
        check_sequence_model(model_type, backbone)
    except StateTrackError:
        raise
    except Exception as err:  # a library the model needs is missing, a class this transformers lacks
        raise StateTrackError(f"architecture {model_type!r} cannot be loaded: {summary(err)}") from None
    return ArchitectureConfig(backbone=fields, num_labels=num_labels, dropout=dropout, imports=imports or None)


def check_architecture(model_type: str, *, vocab_size: int, num_labels: int, **knobs) -> ArchitectureConfig:
    """`architecture_config`, then the tagger built and run once (`smoke.smoke_test`): sizes transformers' init
    or forward refuses fail here, in one line, before any data is generated."""
    config = architecture_config(model_type, vocab_size=vocab_size, num_labels=num_labels, **knobs)
    size = smoke_test(lambda: ArchitectureForTokenClassification(config), f"architecture {model_type!r}",
                      "try other sizes (e.g. num_layers: 2, hidden_size: 64) or another architecture",
                      vocab_size=vocab_size)
    layers, width = knobs.get("num_layers", 2), knobs.get("hidden_size", 64)
    if size > FORWARD_BUDGET and size > OUT_OF_REACH * layers * width**2:
        raise StateTrackError(f"architecture {model_type!r} has {size / 1e6:,.0f}M parameters at num_layers "
                              f"{layers}, hidden_size {width}: most of it is not set by these knobs (a multimodal or "
                              f"composite model, or fixed-size parts); use its text model's type or another one")
    if callable(getattr(base_model_class(config.backbone_config()), "state_size", None)):
        with torch.device("meta"):  # a user's own state_size() is asked once now, not first after training
            of_model(ArchitectureForTokenClassification(config))
    return config


def build_architecture(model_type: str, *, vocab_size: int, num_labels: int, **knobs) -> PreTrainedModel:
    """A freshly initialised tagger on `model_type`'s base model: logits (B, T, num_labels) for input_ids (B, T)."""
    config = architecture_config(model_type, vocab_size=vocab_size, num_labels=num_labels, **knobs)
    try:
        return ArchitectureForTokenClassification(config)
    except (ValueError, TypeError, KeyError, AttributeError, ImportError, RuntimeError) as err:
        raise StateTrackError(f"architecture {model_type!r} cannot be built from its config: "
                              f"{' '.join(str(err).split())[:300]}") from None

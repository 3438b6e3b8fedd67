"""Configuration of the RWKV-7 tagger (Peng et al. 2025, arXiv 2503.14456).

>>> config = RWKV7Config(vocab_size=4, num_labels=2, hidden_size=64, head_dim=16)
>>> config.model_type, config.intermediate_size, config.decay_low_rank, state_size_per_layer(config)
('statetrack_rwkv7', 256, 20, [1152, 1152])

Imports only transformers, so that a saved checkpoint loads without hf_statetrack (remote code).
"""

import math

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class RWKV7Config(PreTrainedConfig):
    """Sizes and switches of a stack of (time mix + channel mix) RWKV-7 blocks.

    head_dim: the hidden width is cut into heads of this width; each head keeps a (head_dim x head_dim) state.
    intermediate_size: width of the channel mix (squared-ReLU MLP); None means 4 * hidden_size.
    decay_low_rank, iclr_low_rank, value_low_rank, gate_low_rank: widths of the low-rank MLPs that compute the
        decay w, the in-context learning rate a, the value-residual mix and the output gate; None derives them
        from the width as the paper scales them (about 2.5, 2.5, 1.7 and 5 times sqrt(hidden_size)).
    chunk_size: chunk length of the chunkwise-parallel rule (speed only: outputs agree up to rounding).
    use_fla_kernels: on CUDA with flash-linear-attention installed, run the rule with its chunk_rwkv7 Triton
        kernel; False keeps the PyTorch path everywhere.
    dropout: on the output of every time mix and channel mix (before the residual sum) and before the classifier.
    """

    model_type = "statetrack_rwkv7"
    attribute_map = {"num_layers": "num_hidden_layers"}

    vocab_size: int = 32
    hidden_size: int = 64
    num_hidden_layers: int = 2
    head_dim: int = 16
    intermediate_size: int | None = None
    decay_low_rank: int | None = None
    iclr_low_rank: int | None = None
    value_low_rank: int | None = None
    gate_low_rank: int | None = None
    chunk_size: int = 16
    use_fla_kernels: bool = True
    dropout: float | int = 0.0
    layer_norm_eps: float = 1e-5
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        root = math.sqrt(self.hidden_size)
        self.intermediate_size = self.intermediate_size or 4 * self.hidden_size
        self.decay_low_rank = self.decay_low_rank or max(4, round(2.5 * root))
        self.iclr_low_rank = self.iclr_low_rank or max(4, round(2.5 * root))
        self.value_low_rank = self.value_low_rank or max(4, round(1.7 * root))
        self.gate_low_rank = self.gate_low_rank or max(4, round(5 * root))
        super().__post_init__(**kwargs)

    def validate_architecture(self):
        if self.head_dim < 1 or self.hidden_size % self.head_dim:
            raise ValueError(f"hidden_size {self.hidden_size} is not divisible by head_dim {self.head_dim}; "
                             "pick a head_dim that divides hidden_size")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be positive, got {self.chunk_size}")


def state_size_per_layer(config: RWKV7Config) -> list[int]:
    """Numbers one layer carries from a token to the next: the (head_dim x head_dim) state of every head, plus
    the previous token's input to each of the two token shifts (time mix and channel mix)."""
    heads = config.hidden_size // config.head_dim
    return [heads * config.head_dim**2 + 2 * config.hidden_size] * config.num_hidden_layers

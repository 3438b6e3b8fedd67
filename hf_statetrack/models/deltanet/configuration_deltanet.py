"""Configuration of the DeltaNet tagger: a linear RNN whose state transition is a (generalised) Householder matrix.

>>> config = DeltaNetConfig(vocab_size=4, num_labels=2, hidden_size=32, num_heads=2)
>>> config.model_type, config.intermediate_size, config.allow_negative_eigenvalues
('statetrack_deltanet', 128, True)

Imports only transformers, so that a saved checkpoint loads without hf_statetrack (remote code).
"""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class DeltaNetConfig(PreTrainedConfig):
    """Sizes and switches of a stack of (DeltaNet mixer + SwiGLU MLP) blocks.

    num_heads: the hidden width is cut into num_heads heads of width hidden_size / num_heads; each head keeps a
        (head width x head width) state.
    allow_negative_eigenvalues: beta in (0, 2), so the transition I - beta k k^T has eigenvalue 1 - beta in
        (-1, 1) along k (Grazzi et al. 2024); False gives beta in (0, 1), eigenvalues in (0, 1): the original DeltaNet.
    use_short_conv, conv_size: a causal depthwise convolution of width conv_size on q, k and v before SiLU.
    use_output_gate: the normalised head outputs are multiplied by SiLU of a projection of the input.
    chunk_size: chunk length of the chunkwise-parallel delta rule (speed only: outputs agree up to rounding).
    use_fla_kernels: on CUDA with flash-linear-attention installed, run the delta rule with its Triton kernel,
        which computes in bfloat16; False keeps the float32 PyTorch path everywhere.
    intermediate_size: width of the SwiGLU MLP; None means 4 * hidden_size.
    dropout: on the output of every mixer and MLP (before the residual sum) and before the classifier.
    """

    model_type = "statetrack_deltanet"
    attribute_map = {"num_layers": "num_hidden_layers"}

    vocab_size: int = 32
    hidden_size: int = 64
    num_hidden_layers: int = 2
    num_heads: int = 4
    intermediate_size: int | None = None
    allow_negative_eigenvalues: bool = True
    use_short_conv: bool = True
    conv_size: int = 4
    use_output_gate: bool = True
    chunk_size: int = 16
    use_fla_kernels: bool = True
    dropout: float | int = 0.0
    rms_norm_eps: float = 1e-6
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        if self.intermediate_size is None:
            self.intermediate_size = 4 * self.hidden_size
        super().__post_init__(**kwargs)

    def validate_architecture(self):
        if self.num_heads < 1 or self.hidden_size % self.num_heads:
            raise ValueError(f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}; "
                             "pick num_heads that divides hidden_size")
        if self.conv_size < 1 or self.chunk_size < 1:
            raise ValueError(f"conv_size and chunk_size must be positive, got {self.conv_size} and {self.chunk_size}")


def state_size_per_layer(config: DeltaNetConfig) -> list[int]:
    """DeltaNet family: per head a (head width)^2 delta-rule state, plus the short conv's window over q, k and v
    ((conv_size - 1) x their channels; DeltaProduct has n_h keys and values per token)"""
    width, steps = config.hidden_size, getattr(config, "num_householder", 1)
    conv = (config.conv_size - 1) * (1 + 2 * steps) * width if config.use_short_conv else 0
    return [width * (width // config.num_heads) + conv] * config.num_hidden_layers

"""Configuration of the Mamba-3 tagger (Lahoti et al. 2026, arXiv 2603.15569), the SISO variant.

>>> config = Mamba3Config(vocab_size=4, num_labels=2, hidden_size=32, state_size=16, head_dim=16)
>>> config.model_type, num_heads(config), num_angles(config), state_size_per_layer(config)
('statetrack_mamba3', 4, 4, [1152, 1152])
"""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

ROPE_FRACTIONS = (0.5, 1.0)  # the official code's choices: half or all of the state dimensions rotate


@strict
class Mamba3Config(PreTrainedConfig):
    """A stack of pre-norm (Mamba-3 mixer + SwiGLU MLP) blocks.

    expand, head_dim: the mixer's inner width expand * hidden_size is cut into heads of head_dim channels.
    state_size: N, the state dimensions per channel (N / 2 complex numbers where they rotate).
    n_groups: heads share B and C in n_groups groups (each head then adds its own bias).
    rope_fraction: the share of the N dimensions that rotate (0.5 or 1.0); the rest decay as in Mamba-2.
    use_rope: the complex (rotating) state; False gives a real-valued Mamba-3 (the paper's ablation).
    use_trapezoidal: exponential-trapezoidal discretisation; False gives exponential Euler (Mamba-2's rule).
    dt_min, dt_max: range of the step sizes at initialisation (log-uniform); a_floor: |A| >= a_floor.
    chunk_size: chunk length of the chunked path (speed only: outputs agree up to rounding).
    intermediate_size: width of the SwiGLU MLP; None means 4 * hidden_size.
    dropout: on the output of every mixer and MLP (before the residual sum) and before the classifier.
    use_mamba_kernels: on CUDA with mamba-ssm's Mamba-3 kernels installed (the ones flash-linear-attention's
        Mamba3 layer calls), run the SISO Triton kernel in bfloat16; False keeps the PyTorch path everywhere.
    """

    model_type = "statetrack_mamba3"
    attribute_map = {"num_layers": "num_hidden_layers"}

    vocab_size: int = 32
    hidden_size: int = 64
    num_hidden_layers: int = 2
    intermediate_size: int | None = None
    state_size: int = 16
    expand: int = 2
    head_dim: int = 16
    n_groups: int = 1
    rope_fraction: float = 0.5
    use_rope: bool = True
    use_trapezoidal: bool = True
    dt_min: float = 1e-3
    dt_max: float = 0.1
    a_floor: float = 1e-4
    chunk_size: int = 64
    use_mamba_kernels: bool = True
    dropout: float | int = 0.0
    rms_norm_eps: float = 1e-5
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        self.intermediate_size = self.intermediate_size or 4 * self.hidden_size
        super().__post_init__(**kwargs)

    def validate_architecture(self):
        inner = self.expand * self.hidden_size
        if self.head_dim < 1 or inner % self.head_dim or self.n_groups < 1 or (inner // self.head_dim) % self.n_groups:
            raise ValueError(f"mamba3 needs head_dim to divide expand*hidden_size ({inner}) and n_groups to divide the "
                             f"number of heads; got head_dim {self.head_dim}, n_groups {self.n_groups}")
        if self.rope_fraction not in ROPE_FRACTIONS:
            raise ValueError(f"rope_fraction must be 0.5 or 1.0, got {self.rope_fraction}")
        if self.use_rope and num_angles(self) < 1:
            raise ValueError(f"state_size {self.state_size} leaves no pair of dimensions to rotate; use state_size >= "
                             f"{int(2 / self.rope_fraction)}")
        if self.chunk_size < 1 or not 0 < self.dt_min <= self.dt_max or self.a_floor <= 0:
            raise ValueError("chunk_size must be positive, 0 < dt_min <= dt_max and a_floor > 0")


def num_heads(config: Mamba3Config) -> int:
    return config.expand * config.hidden_size // config.head_dim


def num_angles(config: Mamba3Config) -> int:
    """Rotation angles per token: one per rotating pair of state dimensions (0 without rotations)."""
    return int(config.state_size * config.rope_fraction) // 2 if config.use_rope else 0


def state_size_per_layer(config: Mamba3Config) -> list[int]:
    """Numbers one layer carries from a token to the next: the (N x head_dim) state of every head and, for the
    trapezoid, the previous token's k (N per head) and x (the inner width).

    In the complex form counted here the rotation needs no running angle; the rotated-frame form the kernels use
    also keeps one per angle."""
    heads = num_heads(config)
    previous = heads * config.state_size + config.expand * config.hidden_size if config.use_trapezoidal else 0
    return [heads * config.head_dim * config.state_size + previous] * config.num_hidden_layers

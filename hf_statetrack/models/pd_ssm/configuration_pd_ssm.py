"""Configuration of the PD-SSM tagger (Terzić et al. 2025, arXiv 2509.22284).

>>> config = PDSSMConfig(vocab_size=4, num_labels=2, hidden_size=32, state_size=8)
>>> config.model_type, config.dictionary_size, state_size_per_layer(config)
('statetrack_pd_ssm', 8, [16])
"""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class PDSSMConfig(PreTrainedConfig):
    """A stack of pre-norm (PD-SSM mixer + SwiGLU MLP) blocks.

    state_size: N, the complex state of each layer; one layer emulates any automaton of at most N states (the
        paper's Theorem), so A5 / S5 (60 / 120 group elements) fit exactly with N = 60 / 120, and any group of
        permutations of k points acts on N >= k slots.
    dictionary_size: K, the trainable (N x N) score matrices that the token's softmax weights mix into the
        selection scores of P_t.
    intermediate_size: width of the SwiGLU MLP; None means 4 * hidden_size.
    dropout: on the output of every mixer and MLP (before the residual sum) and before the classifier.
    """

    model_type = "statetrack_pd_ssm"
    attribute_map = {"num_layers": "num_hidden_layers"}

    vocab_size: int = 32
    hidden_size: int = 64
    num_hidden_layers: int = 1
    state_size: int = 16
    dictionary_size: int = 8
    intermediate_size: int | None = None
    dropout: float | int = 0.0
    rms_norm_eps: float = 1e-5
    initializer_range: float = 0.02

    def __post_init__(self, **kwargs):
        self.intermediate_size = self.intermediate_size or 4 * self.hidden_size
        super().__post_init__(**kwargs)

    def validate_architecture(self):
        if self.state_size < 2 or self.dictionary_size < 1:
            raise ValueError(f"PD-SSM needs state_size >= 2 and dictionary_size >= 1, got {self.state_size} and "
                             f"{self.dictionary_size}")


def state_size_per_layer(config: PDSSMConfig) -> list[int]:
    """Numbers one layer carries from a token to the next: its N complex state entries (2 N reals)."""
    return [2 * config.state_size] * config.num_hidden_layers

"""Configuration of IDS4, the input-dependent non-diagonal SSM of Merrill, Petty & Sabharwal (2024).

>>> config = IDS4Config(vocab_size=6, num_labels=6, hidden_size=64, num_heads=4, state_size=8)
>>> config.num_hidden_layers, config.model_type
(1, 'statetrack_ids4')

Imports only transformers, so that a saved checkpoint loads without hf_statetrack (remote code).
"""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class IDS4Config(PreTrainedConfig):
    """A stack of pre-norm blocks, each an IDS4 mixer then a GELU MLP, both with residuals.

    num_heads x state_size: each head carries a state of state_size slots and its own per-token
    state_size x state_size transition; a permutation of k points needs state_size >= k (5 for A5/S5).
    identity_bias: initial logit advantage of "stay in the same slot", so that at initialisation the
    state is mostly kept rather than averaged away (softmax(identity_bias) weight on the diagonal).
    dropout applies to the embeddings and to the output of every mixer and MLP.
    """

    model_type = "statetrack_ids4"
    attribute_map = {"num_layers": "num_hidden_layers"}

    vocab_size: int = 32
    hidden_size: int = 64
    num_hidden_layers: int = 1
    num_heads: int = 4
    state_size: int = 8
    intermediate_size: int = 256
    identity_bias: float | int = 3.0
    dropout: float | int = 0.0
    rms_norm_eps: float = 1e-5
    initializer_range: float = 0.02

    def validate_architecture(self):
        if self.num_heads < 1 or self.state_size < 2:
            raise ValueError(f"IDS4 needs num_heads >= 1 and state_size >= 2, got num_heads {self.num_heads}, "
                             f"state_size {self.state_size}")


def state_size_per_layer(config: IDS4Config) -> list[int]:
    """IDS4: num_heads x state_size slots per layer"""
    return [config.num_heads * config.state_size] * config.num_hidden_layers

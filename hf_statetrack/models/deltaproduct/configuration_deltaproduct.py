"""Configuration of the DeltaProduct tagger: DeltaNet's, plus the number of Householder steps per token.

>>> config = DeltaProductConfig(vocab_size=4, num_labels=2, hidden_size=32, num_heads=2, num_householder=3)
>>> config.model_type, config.num_householder, config.allow_negative_eigenvalues
('statetrack_deltaproduct', 3, True)
"""

from huggingface_hub.dataclasses import strict

from ..deltanet.configuration_deltanet import DeltaNetConfig


@strict
class DeltaProductConfig(DeltaNetConfig):
    """DeltaNetConfig's fields (see there) and

    num_householder: n_h, delta-rule steps per token, each with its own key, value and beta; a token's transition
        is a product of n_h generalised Householder matrices, so with beta in (0, 2) one token can apply any
        permutation of up to n_h + 1 points (a product of n_h reflections). chunk_size counts these sub-steps.
    """

    model_type = "statetrack_deltaproduct"
    _auto_class = None  # loads through the Auto registration of hf_statetrack, not as remote code

    num_householder: int = 2

    def validate_architecture(self):
        super().validate_architecture()
        if self.num_householder < 1:
            raise ValueError(f"num_householder must be at least 1, got {self.num_householder}")

"""Configuration of the Gated DeltaNet tagger: DeltaNet's fields; the decay gate has no switches of its own.

>>> config = GatedDeltaNetConfig(vocab_size=4, num_labels=2, hidden_size=32, num_heads=2)
>>> config.model_type, config.allow_negative_eigenvalues
('statetrack_gated_deltanet', True)
"""

from huggingface_hub.dataclasses import strict

from ..deltanet.configuration_deltanet import DeltaNetConfig


@strict
class GatedDeltaNetConfig(DeltaNetConfig):
    """DeltaNetConfig's fields (see there): allow_negative_eigenvalues picks beta in (0, 2) or (0, 1);
    use_fla_kernels runs flash-linear-attention's chunk_gated_delta_rule on CUDA when it is installed."""

    model_type = "statetrack_gated_deltanet"
    _auto_class = None  # loads through the Auto registration of hf_statetrack, not as remote code

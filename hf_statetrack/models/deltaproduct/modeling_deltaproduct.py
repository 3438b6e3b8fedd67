"""DeltaProduct tagger (Siems et al. 2025, arXiv 2502.10297): DeltaNet blocks whose mixer takes n_h delta-rule
steps per token, each with its own key, value and beta in (0, 2):

    S <- S (I - beta_tj k_tj k_tj^T) + beta_tj v_tj k_tj^T    for j = 1..n_h          o_t = S_t q_t

A token's transition is then a product of n_h generalised Householder matrices: with beta = 2 each is a
reflection, and every permutation of n points is a product of at most n - 1 transpositions (reflections), so
S_n needs n_h = n - 1 in one layer (S3: 2, S5: 4); n_h = 1 is DeltaNet. Everything else (short convolution,
output gate, SwiGLU MLP, padding as identity steps) is DeltaNet's (modeling_deltanet.py).
"""

import functools

from ..deltanet.modeling_deltanet import DeltaNetForTokenClassification, DeltaNetMixer, DeltaNetModel, delta_rule
from .chunked import delta_product_chunked
from .configuration_deltaproduct import DeltaProductConfig


class DeltaProductMixer(DeltaNetMixer):
    def __init__(self, config: DeltaProductConfig):
        self.steps_per_token = config.num_householder  # read by DeltaNetMixer.__init__ to size q, k, v and beta
        super().__init__(config)

    def recurrence(self, q, k, v, beta, g):
        """q (B, T, H, d), k, v (B, T, n, H, d), beta (B, T, n, H), g None (no decay) -> (B, T, H, d)."""
        rule = functools.partial(delta_rule, chunk_size=self.config.chunk_size,
                                 use_fla_kernels=self.config.use_fla_kernels)  # fla's kernel on CUDA if installed
        return delta_product_chunked(q, k, v, beta, delta_rule=rule)


class DeltaProductModel(DeltaNetModel):
    config_class = DeltaProductConfig
    mixer_class = DeltaProductMixer
    _auto_class = None  # DeltaNet's remote-code registration is not inherited: this file imports deltanet/


class DeltaProductForTokenClassification(DeltaNetForTokenClassification):
    config_class = DeltaProductConfig
    backbone_class = DeltaProductModel
    _auto_class = None

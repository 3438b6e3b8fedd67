"""Mamba whose transition ranges over (-1, 1) instead of (0, 1) (Grazzi et al. 2024, arXiv 2411.12537).

Stock Mamba, per channel d and state index n (dt_t = softplus(dt_proj(...)) > 0, A = -exp(A_log) < 0):

    h_t = exp(dt_t A) * h_{t-1} + dt_t x_t B_t          y_t = C_t . h_t + D x_t

Every decay exp(dt_t A) lies in (0, 1): a state can fade but never change sign, which is why one layer
cannot count modulo 2 at every length (Sarrof et al. 2024). Here the decay is 2 exp(dt_t A) - 1, in
(-1, 1): a token with dt ~ 0 keeps the state (decay ~ +1), a token with large dt flips it (decay ~ -1),
so h_t = -h_{t-1} + c on every 1 alternates between 0 and c and holds the parity. Nothing else changes:

    input_ids (B, T) -> MambaModel, MambaNegEigMixer in every block (B, T, H) -> classifier (B, T, num_labels)

Stability: |decay| <= 1, so the state stays bounded as with stock Mamba. The scan runs the recurrence
step by step in float32 (forward and hand-written adjoint backward): it never takes the logarithm or
cumulative product of the decays, which negative decays would break.

Weights keep Mamba's names and shapes (backbone.layers.i.mixer.A_log, ...): a Mamba checkpoint's weights
load into MambaNegEigForTokenClassification, only the classifier is new.

Dependency: the scan and the causal conv are hf_statetrack's `selective_scan` and `causal_conv1d` (compiled
CPU kernels where they apply, checked against the plain loop `selective_scan_reference` and F.conv1d).
mamba-ssm's CUDA kernels have no negative-eigenvalue mode, so this is the scan on every device.
`save_pretrained` copies this file next to the weights (auto_map), but loading it still needs hf_statetrack
installed; without it transformers stops with "This modeling file requires the following packages that were
not found in your environment: hf_statetrack".
"""

import functools

import torch
from transformers import MambaModel, MambaPreTrainedModel
from transformers.models.mamba.modeling_mamba import MambaMixer, apply_mask_to_padding_states

from hf_statetrack.core.upstream import require
from hf_statetrack.models.selective_scan import causal_conv1d, selective_scan
from hf_statetrack.models.tagging_head import TokenTaggingHead

from .configuration_mamba_negeig import MambaNegEigConfig


class MambaNegEigMixer(MambaMixer):
    """MambaMixer's full-sequence path (in_proj, causal conv, x_proj, dt_proj, scan, gate, out_proj) with the
    scan's decays in (-1, 1). Same parameters as MambaMixer. No cache: there is no step-by-step decoding.
    Never constructed: MambaNegEigModel turns the mixers MambaBlock built into this class."""

    def forward(self, hidden_states, *args, attention_mask=None, **kwargs):
        # The cache's name changed (5.23 cache_params, 5.24 cache): refuse any object that is not a tensor,
        # however passed, so a cache is never silently ignored. Masks and positions are tensors or None.
        if any(value is not None and not torch.is_tensor(value) for value in (*args, *kwargs.values())):
            raise NotImplementedError("mamba_negeig runs whole sequences only and has no cache for generation; "
                                      "call it with use_cache=False (or set config.use_cache = False)")
        hidden_states = apply_mask_to_padding_states(hidden_states, attention_mask)
        x, gate = self.in_proj(hidden_states).transpose(1, 2).chunk(2, dim=1)  # (B, D, T) each, D = inner width
        x = causal_conv1d(x, self.conv1d.weight.squeeze(1), self.conv1d.bias, activation=self.activation)
        x = apply_mask_to_padding_states(x.transpose(1, 2), attention_mask)  # (B, T, D)
        dt, B, C = torch.split(self.x_proj(x), [self.time_step_rank, self.ssm_state_size, self.ssm_state_size], dim=-1)
        y = selective_scan(
            x.transpose(1, 2),  # (B, D, T)
            self.dt_proj.weight @ dt.transpose(1, 2),  # (B, D, T); its bias and softplus are applied in the scan
            -torch.exp(self.A_log.float()),  # A (D, N)
            B.transpose(1, 2), C.transpose(1, 2),  # (B, N, T)
            D=self.D.float(), z=gate, delta_bias=self.dt_proj.bias.float(), delta_softplus=True,
            negative_eigenvalues=True,
        )  # (B, D, T)
        return self.out_proj(y.transpose(1, 2))  # (B, T, H)


@functools.cache
def check_transformers_mixer() -> None:
    """The mixer reuses MambaMixer's parameters and helpers: refuse to build on a transformers that moved them."""
    require("mamba_mixer", "mamba_negeig cannot be built on it")


class MambaNegEigModel(MambaModel):
    """transformers' MambaModel (embeddings, pre-norm residual blocks, final norm) with MambaNegEigMixer."""

    config_class = MambaNegEigConfig
    _no_split_modules = ["MambaBlock", "MambaNegEigMixer"]

    def __init__(self, config: MambaNegEigConfig):
        check_transformers_mixer()
        super().__init__(config)
        # Keep the mixers MambaBlock built (parameters, names, transformers' own init) and change only their
        # forward. Less fragile than building mixers ourselves: MambaMixer's constructor arguments change between
        # releases (5.25 wraps it, so its signature says nothing), and an own mixer with Mamba's weight names
        # would need a copy of transformers' Mamba init, which special-cases MambaMixer.
        for block in self.layers:
            block.mixer.__class__ = MambaNegEigMixer


class MambaNegEigForTokenClassification(TokenTaggingHead, MambaPreTrainedModel):
    """One label per input position: MambaNegEigModel -> dropout (config.classifier_dropout) -> linear."""

    config_class = MambaNegEigConfig
    _no_split_modules = ["MambaBlock", "MambaNegEigMixer"]
    backbone_class = MambaNegEigModel

"""Token-classification heads for transformers' Mamba and Mamba-2, which ship none.

    input_ids (B, T) -> MambaModel / Mamba2Model (B, T, H) -> dropout -> classifier (B, T, num_labels)

One label per input position, aligned with the input (not shifted). The backbones are causal and
mask padded positions, so with right padding the outputs at real positions do not depend on the pads.
Dropout before the classifier is `config.classifier_dropout` (0 when unset).

Self-contained (torch and transformers only): `save_pretrained` copies this file and tagging_head.py next to
the weights,
and `AutoModelForTokenClassification.from_pretrained(path, trust_remote_code=True)` loads the
checkpoint without hf_statetrack. Without CUDA kernels Mamba runs transformers' PyTorch scan.
"""

from transformers import Mamba2Model, Mamba2PreTrainedModel, MambaModel, MambaPreTrainedModel

from .tagging_head import TokenTaggingHead


class MambaForTokenClassification(TokenTaggingHead, MambaPreTrainedModel):
    backbone_class = MambaModel


class Mamba2ForTokenClassification(TokenTaggingHead, Mamba2PreTrainedModel):
    backbone_class = Mamba2Model

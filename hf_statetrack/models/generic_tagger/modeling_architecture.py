"""A token-tagging head on any transformers base model built from scratch.

    input_ids (B, T) -> AutoModel.from_config(backbone) (B, T, H) -> dropout -> classifier (B, T, num_labels)

One label per input position, aligned with the input (not shifted); the loss is the summed cross-entropy over
scored tokens divided by `num_items_in_batch` (Trainer's count over the whole accumulated, all-device batch),
as in every tagging head of hf_statetrack. The backbone gets `attention_mask` and `use_cache=False` only if its
forward takes them; the cache is off (a training step never needs one, and several families build one by
default). Models that ignore the mask (RWKV, xLSTM) see pads only after the real tokens, with right padding.

Self-contained (torch and transformers only): `save_pretrained` copies this file, tagging_head.py and the config
next to the weights, so checkpoints load without hf_statetrack (trust_remote_code=True).
"""

import inspect

from torch import nn
from transformers import AutoModel, PreTrainedModel

from .configuration_architecture import ArchitectureConfig
from .tagging_head import TokenTaggingHead


class ArchitectureForTokenClassification(TokenTaggingHead, PreTrainedModel):
    """One label per input position: any transformers base model -> dropout (config.dropout) -> linear."""

    config_class = ArchitectureConfig
    base_model_prefix = "backbone"

    def build_backbone(self, config: ArchitectureConfig) -> nn.Module:
        backbone = AutoModel.from_config(config.backbone_config())
        accepted = inspect.signature(backbone.forward).parameters
        # xLSTM takes no mask (RWKV takes one and ignores it); models without a cache take no use_cache
        self.fixed_kwargs = {"use_cache": False} if "use_cache" in accepted else {}
        self.takes_mask = "attention_mask" in accepted
        return backbone

    def head_dropout(self, config: ArchitectureConfig) -> float:
        return config.dropout

    def run_backbone(self, input_ids, attention_mask, **kwargs):
        if self.takes_mask:
            kwargs["attention_mask"] = attention_mask
        return self.backbone(input_ids=input_ids, **self.fixed_kwargs, **kwargs)

"""A token-tagging head on any transformers base model built from scratch.

    input_ids (B, T) -> AutoModel.from_config(backbone) (B, T, H) -> dropout -> classifier (B, T, num_labels)

One label per input position, aligned with the input (not shifted); the loss is the summed cross-entropy over
scored tokens divided by `num_items_in_batch` (Trainer's count over the whole accumulated, all-device batch),
as in every tagging head of hf_statetrack. The backbone gets `attention_mask` and `use_cache=False` only if its
forward takes them; the cache is off (a training step never needs one, and several families build one by
default). Models that ignore the mask (RWKV, xLSTM) see pads only after the real tokens, with right padding.

Self-contained (torch and transformers only): `save_pretrained` copies this file and the config next to the
weights, so checkpoints load without hf_statetrack (trust_remote_code=True).
"""

import inspect

from torch import nn
from transformers import AutoModel, PreTrainedModel
from transformers.modeling_outputs import TokenClassifierOutput

from .configuration_architecture import ArchitectureConfig


class ArchitectureForTokenClassification(PreTrainedModel):
    config_class = ArchitectureConfig
    base_model_prefix = "backbone"

    def __init__(self, config: ArchitectureConfig):
        super().__init__(config)
        self.backbone = AutoModel.from_config(config.backbone_config())
        accepted = inspect.signature(self.backbone.forward).parameters
        # xLSTM takes no mask (RWKV takes one and ignores it); models without a cache take no use_cache
        self.fixed_kwargs = {"use_cache": False} if "use_cache" in accepted else {}
        self.takes_mask = "attention_mask" in accepted
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(self.backbone.config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, labels=None, num_items_in_batch=None, **kwargs):
        """loss = summed cross-entropy over labels != -100, / num_items_in_batch if given, else the mean."""
        if self.takes_mask:
            kwargs["attention_mask"] = attention_mask
        outputs = self.backbone(input_ids=input_ids, **self.fixed_kwargs, **kwargs)
        logits = self.classifier(self.dropout(outputs.last_hidden_state))  # (B, T, num_labels)
        loss = None
        if labels is not None:
            loss = self.loss_function(logits, labels, self.config, num_items_in_batch=num_items_in_batch)
        return TokenClassifierOutput(loss=loss, logits=logits, hidden_states=getattr(outputs, "hidden_states", None))

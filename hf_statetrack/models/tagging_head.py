"""The token-tagging head every model of ours shares: one label per input position, and our loss convention.

    input_ids (B, T) -> backbone (B, T, H) -> dropout -> linear classifier (B, T, num_labels)

The loss is transformers' `ForTokenClassification` loss: cross-entropy summed over the positions whose label is
not -100, divided by `num_items_in_batch` when Trainer passes it (the scored-token count of the whole
accumulated, all-device batch), else the mean. Labels are aligned with the inputs (not shifted).

Self-contained (torch and transformers only): each architecture folder whose checkpoints load without
hf_statetrack holds a symbolic link ``tagging_head.py`` to this file and imports it as ``from .tagging_head
import TokenTaggingHead``, so `save_pretrained` copies it next to the weights beside the modeling file (the
link is followed: the checkpoint gets the file itself) and ``from_pretrained(..., trust_remote_code=True)``
loads it without the package.
"""

from torch import nn
from transformers.modeling_outputs import TokenClassifierOutput


class TaggingLoss:
    """Mixin for a PreTrainedModel: logits (B, T, num_labels) and labels -> `TokenClassifierOutput` with our loss."""

    def tagging_output(self, logits, labels=None, num_items_in_batch=None, **outputs) -> TokenClassifierOutput:
        """loss = summed cross-entropy over labels != -100, / num_items_in_batch if given, else the mean."""
        loss = None
        if labels is not None:
            loss = self.loss_function(logits, labels, self.config, num_items_in_batch=num_items_in_batch)
        return TokenClassifierOutput(loss=loss, logits=logits, **outputs)


class TokenTaggingHead(TaggingLoss):
    """Mixin for a PreTrainedModel subclass: a backbone (ids -> hidden states), dropout, a linear classifier.

    A subclass names its `backbone_class`. `backbone_name` and `head_name` are the attribute names, hence the
    weight names of saved checkpoints (``model.*``/``score.*`` for our own architectures, ``backbone.*``/
    ``classifier.*`` for the Mamba heads), so they stay as they were.
    """

    backbone_class: type
    backbone_name = "backbone"
    head_name = "classifier"

    def __init__(self, config):
        super().__init__(config)
        backbone = self.build_backbone(config)
        setattr(self, self.backbone_name, backbone)
        self.dropout = nn.Dropout(self.head_dropout(config))
        setattr(self, self.head_name, nn.Linear(backbone.config.hidden_size, config.num_labels))
        self.post_init()

    def build_backbone(self, config) -> nn.Module:
        return self.backbone_class(config)

    def head_dropout(self, config) -> float:
        """Dropout before the classifier: `config.classifier_dropout` (0 when the config has none)."""
        return getattr(config, "classifier_dropout", None) or 0.0

    def run_backbone(self, input_ids, attention_mask, **kwargs):
        return getattr(self, self.backbone_name)(input_ids, attention_mask=attention_mask, **kwargs)

    def forward(self, input_ids=None, attention_mask=None, labels=None, num_items_in_batch=None, **kwargs):
        """loss = summed cross-entropy over labels != -100, / num_items_in_batch if given, else the mean."""
        outputs = self.run_backbone(input_ids, attention_mask, **kwargs)
        logits = getattr(self, self.head_name)(self.dropout(outputs.last_hidden_state))  # (B, T, num_labels)
        return self.tagging_output(logits, labels, num_items_in_batch,
                                   hidden_states=getattr(outputs, "hidden_states", None))

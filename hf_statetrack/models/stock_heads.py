"""transformers' Llama and GPT-2 token-classification heads, with a loss that honours `num_items_in_batch`.

Why: both stock heads take `**kwargs`, so Trainer sets `model_accepts_loss_kwargs=True`, passes
`num_items_in_batch` (the scored-token count of the whole accumulated, all-device batch) and trusts the
model to return sum / num_items. But in transformers 5.23 `LlamaForTokenClassification`
(GenericForTokenClassification) calls `self.loss_function(logits, labels, self.config)` without it, and
`GPT2ForTokenClassification` uses a plain `CrossEntropyLoss()`: both return the micro-batch mean. Trainer
then skips its division by the gradient-accumulation steps and, with `average_tokens_across_devices`,
multiplies by the world size: gradients come out accumulation-steps x devices too large.

The subclasses below withhold `labels` from the stock forward and compute the loss with transformers'
own `ForTokenClassification` loss. The presets build them directly; they are deliberately not registered
with AutoModelForTokenClassification, so importing hf_statetrack never changes what a user's own
``AutoModelForTokenClassification`` call on a Llama or GPT-2 config returns. Weights and checkpoints are
the stock ones: the stock classes load our checkpoints (no auto_map needed), and so does Auto.
"""

from transformers import GPT2ForTokenClassification, LlamaForTokenClassification

from .tagging_head import TaggingLoss


class NumItemsLossMixin(TaggingLoss):
    def forward(self, input_ids=None, attention_mask=None, labels=None, num_items_in_batch=None, **kwargs):
        """The stock forward without labels, then our loss (`TaggingLoss`)."""
        outputs = super().forward(input_ids, attention_mask=attention_mask, **kwargs)
        return self.tagging_output(labels=labels, num_items_in_batch=num_items_in_batch, **outputs)


class TaggingLlamaForTokenClassification(NumItemsLossMixin, LlamaForTokenClassification):
    """LlamaForTokenClassification whose loss honours num_items_in_batch."""


class TaggingGPT2ForTokenClassification(NumItemsLossMixin, GPT2ForTokenClassification):
    """GPT2ForTokenClassification whose loss honours num_items_in_batch."""



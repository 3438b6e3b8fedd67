"""Recurrent taggers: embedding -> LSTM/GRU/Elman-RNN layers -> one label per input position.

    input_ids (B, T) -> embed (B, T, H) -> layer 1 ... layer L (B, T, H) -> score (B, T, num_labels)

Padding: right padding only. The layers read left to right, so the output at a real position never
depends on the pads after it, and the attention mask is not needed (pad positions get logits too;
their labels are -100). A left-padded mask would feed pads into the state, so it raises an error.

Self-contained (torch, transformers and the sibling config only): `save_pretrained` copies this file
next to the weights, and `AutoModelForTokenClassification.from_pretrained(path, trust_remote_code=True)`
loads the checkpoint without hf_statetrack.
"""

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutput

from .configuration_recurrent import RecurrentConfig
from .tagging_head import TokenTaggingHead

CELL_MODULES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def check_right_padded(attention_mask: torch.Tensor | None) -> None:
    if attention_mask is not None and bool((attention_mask[:, 1:] > attention_mask[:, :-1]).any()):
        raise ValueError("recurrent taggers support right padding only (tokens first, then pads); "
                         "got a left-padded attention_mask")


class RecurrentPreTrainedModel(PreTrainedModel):
    config_class = RecurrentConfig
    base_model_prefix = "model"

    @torch.no_grad()
    def _init_weights(self, module):
        if isinstance(module, nn.RNNBase):  # torch's own default for every cell: U(-1/sqrt(H), 1/sqrt(H))
            bound = module.hidden_size**-0.5
            for param in module.parameters():
                init.uniform_(param, -bound, bound)
        else:
            super()._init_weights(module)


class RecurrentModel(RecurrentPreTrainedModel):
    """The backbone; hidden_states (with output_hidden_states) = embeddings + the output of every layer."""

    def __init__(self, config: RecurrentConfig):
        super().__init__(config)
        cell = CELL_MODULES[config.cell]
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(
            cell(config.hidden_size, config.hidden_size, batch_first=True) for _ in range(config.num_hidden_layers)
        )
        self.dropout = nn.Dropout(config.dropout)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, output_hidden_states=None, **kwargs) -> BaseModelOutput:
        check_right_padded(attention_mask)
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        hidden = self.dropout(self.embed_tokens(input_ids))  # (B, T, H)
        all_hidden = [hidden]
        for layer in self.layers:
            hidden = self.dropout(layer(hidden)[0])  # (B, T, H); [1] is the final state, unused
            all_hidden.append(hidden)
        return BaseModelOutput(last_hidden_state=hidden,
                               hidden_states=tuple(all_hidden) if output_hidden_states else None)


class RecurrentForTokenClassification(TokenTaggingHead, RecurrentPreTrainedModel):
    """One label per input position: RecurrentModel -> linear (`TokenTaggingHead`, no dropout before it)."""

    backbone_class = RecurrentModel
    backbone_name, head_name = "model", "score"  # the weight names of saved checkpoints


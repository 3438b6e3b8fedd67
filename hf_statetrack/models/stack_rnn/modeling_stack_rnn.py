"""Stack-RNN tagger: an Elman RNN controller with a differentiable stack, as in Delétang et al. 2023
("Neural Networks and the Chomsky Hierarchy", ICLR; after Joulin & Mikolov 2015, "Inferring algorithmic
patterns with stack-augmented recurrent nets"). Equations as in DeepMind's public code (models/stack_rnn.py),
written anew. Per layer, with s_{t-1}[0] the top cell of the stack before step t:

    h_t = tanh(W_x x_t + W_s s_{t-1}[0] + W_h h_{t-1} + b)          controller (h_0 = 0, s_0 = 0)
    (a_push, a_pop, a_noop) = softmax(W_a h_t + b_a),  v_t = W_v h_t + b_v
    s_t[0] = a_push v_t        + a_pop s_{t-1}[1]    + a_noop s_{t-1}[0]
    s_t[i] = a_push s_{t-1}[i-1] + a_pop s_{t-1}[i+1] + a_noop s_{t-1}[i]    (s_{t-1}[stack_size] = 0)

The layer outputs h_t; the tagger scores ReLU(h_t) of the last layer with a linear layer, as DeepMind's
`make_rnn` does. A push drops the bottom cell (bounded depth stack_size); with several stacks each has its
own actions and value, and the controller reads all their tops.

Choices where the paper leaves it open (or where we differ from the code):
* Tokens enter through an embedding (width hidden_size) and W_x, where DeepMind feeds one-hot vectors to
  the controller's input layer: the same family of functions. Its two biases (input and recurrent linear
  layers) are one bias b here. Linear weights follow Haiku's default rule, which DeepMind's code used
  (truncated normal, std 1/sqrt(fan_in), biases 0), embeddings N(0, 1); the fan-ins differ where we merge
  or split layers ([W_h W_s] is one matrix; the embedding precedes W_x), so initial scales are close to
  DeepMind's, not equal.
* Time alignment as in the code: step t reads the memory as step t-1 left it, so a value pushed or written
  at t is read from t+1 on; the softmax over the actions is per memory, as in the code.
* num_hidden_layers > 1 stacks layers (each with its own stacks, reading the layer below); DeepMind: one.
* Padding: where attention_mask is 0 the state (controller and stack) is carried through unchanged, so left
  and right padding leave the real positions exact. A batch padded on the right only (the Trainer pipeline's)
  skips that masking: pads then come after every real position and cannot change it.

Fast path: `MemoryRNNLayer.forward` loops over time in Python and runs each step as batched operations over
all rows (the input projection of all positions is one matrix product before the loop); autograd gives the
backward. naive.py is the per-example, per-cell reference; tests/models/test_stack_rnn.py compares them in
float64, values and gradients. The Tape-RNN (tape_rnn/) reuses everything here but the memory update.

Self-contained (torch, transformers and the sibling config only): `save_pretrained` copies this file next
to the weights, and `AutoModelForTokenClassification.from_pretrained(path, trust_remote_code=True)` loads
the checkpoint without hf_statetrack.
"""

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutput

from .configuration_stack_rnn import StackRNNConfig
from .tagging_head import TokenTaggingHead


class MemoryRNNLayer(nn.Module):
    """An Elman controller that reads cell 0 of each memory and updates the memories with softmax-weighted
    actions; subclasses give the actions (`num_actions`, `update`) and the network computing the value written."""

    num_actions: int

    def __init__(self, config, input_size: int):
        super().__init__()
        hidden = config.hidden_size
        self.num_memories, self.memory_size, self.cell_size = config.memory_shape
        read_size = self.num_memories * self.cell_size
        self.input_proj = nn.Linear(input_size, hidden)  # W_x, b
        self.recurrent = nn.Linear(hidden + read_size, hidden, bias=False)  # [W_h W_s] on [h_{t-1}, read_t]
        self.actions = nn.Linear(hidden, self.num_memories * self.num_actions)  # W_a, b_a
        self.value = self.value_network(config, read_size)  # W_v, b_v (Tape-RNN: an MLP)

    def value_network(self, config, out: int) -> nn.Module:
        return nn.Linear(config.hidden_size, out)

    def update(self, memory: torch.Tensor, actions: torch.Tensor, value: torch.Tensor, step) -> torch.Tensor:
        """memory (B, K, S, C), actions (B, K, A) summing to 1, value (B, K, C) -> the new memory (B, K, S, C)."""
        raise NotImplementedError

    def prepare(self, steps: torch.Tensor | None) -> torch.Tensor | None:
        """Once before the time loop: `steps` (B, T, ...) as `update` reads it at step t (steps[:, t])."""
        return steps

    def forward(self, x: torch.Tensor, real: torch.Tensor | None, steps=None) -> torch.Tensor:
        """x (B, T, I), real (B, T) bool or None (all real), steps (B, T) what `update` needs -> h (B, T, H)."""
        batch, length, _ = x.shape
        k, a = self.num_memories, self.num_actions
        driven = self.input_proj(x)  # (B, T, H): W_x x_t + b for every t at once
        steps = self.prepare(steps)
        h = x.new_zeros(batch, driven.shape[-1])  # (B, H)
        memory = x.new_zeros(batch, k, self.memory_size, self.cell_size)  # (B, K, S, C); cell 0 is read
        outputs = []
        for t in range(length):
            read = memory[:, :, 0].reshape(batch, -1)  # (B, K*C)
            h_new = torch.tanh(driven[:, t] + self.recurrent(torch.cat([h, read], dim=-1)))
            actions = self.actions(h_new).view(batch, k, a).softmax(dim=-1)  # (B, K, A)
            value = self.value(h_new).view(batch, k, self.cell_size)  # (B, K, C)
            new_memory = self.update(memory, actions, value, None if steps is None else steps[:, t])
            if real is None:
                h, memory = h_new, new_memory
            else:  # pads carry the state through unchanged
                keep = real[:, t]
                h = torch.where(keep[:, None], h_new, h)
                memory = torch.where(keep[:, None, None, None], new_memory, memory)
            outputs.append(h)
        return torch.stack(outputs, dim=1)  # (B, T, H)


class StackRNNLayer(MemoryRNNLayer):
    num_actions = 3  # push, pop, no-op

    def update(self, memory, actions, value, step=None):
        push, pop, noop = (p[..., None, None] for p in actions.unbind(-1))  # (B, K, 1, 1) each
        pushed = torch.cat([value.unsqueeze(2), memory[:, :, :-1]], dim=2)  # v on top, everything one down
        popped = F.pad(memory[:, :, 1:], (0, 0, 0, 1))  # everything one up, a zero cell at the bottom
        return push * pushed + pop * popped + noop * memory


class StackRNNPreTrainedModel(PreTrainedModel):
    config_class = StackRNNConfig
    base_model_prefix = "model"

    @torch.no_grad()
    def _init_weights(self, module):
        """Haiku's defaults (DeepMind's code): weights truncated normal, std 1/sqrt(fan_in) cut at 2 std; biases 0."""
        if isinstance(module, nn.Linear):
            std = module.in_features**-0.5
            init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
            if module.bias is not None:
                init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            init.normal_(module.weight, std=1.0)


class StackRNNModel(StackRNNPreTrainedModel):
    """The backbone; hidden_states (with output_hidden_states) = embeddings + the output h of every layer;
    last_hidden_state = ReLU(h) of the last layer (what DeepMind's output layer reads)."""

    layer_class = StackRNNLayer  # the Tape-RNN swaps the layer

    def __init__(self, config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(self.layer_class(config, config.hidden_size)
                                    for _ in range(config.num_hidden_layers))
        self.dropout = nn.Dropout(config.dropout)
        self.post_init()

    def steps(self, input_ids: torch.Tensor, real: torch.Tensor | None):
        """What each layer's `update` needs at every step, from the tokens (B, T); the stack needs nothing."""
        return None

    def forward(self, input_ids, attention_mask=None, output_hidden_states=None, **kwargs) -> BaseModelOutput:
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        real = None if attention_mask is None else attention_mask.bool()  # (B, T)
        steps = self.steps(input_ids, real)
        if real is not None and not (real[:, 1:] & ~real[:, :-1]).any():
            real = None  # right padding only: no real position follows a pad, so the state may run on through pads
        hidden = self.dropout(self.embed_tokens(input_ids))  # (B, T, H)
        all_hidden = [hidden]
        for layer in self.layers:
            hidden = self.dropout(layer(hidden, real, steps))  # (B, T, H)
            all_hidden.append(hidden)
        return BaseModelOutput(last_hidden_state=F.relu(hidden),
                               hidden_states=tuple(all_hidden) if output_hidden_states else None)


class StackRNNForTokenClassification(TokenTaggingHead, StackRNNPreTrainedModel):
    """One label per input position: StackRNNModel -> linear (`TokenTaggingHead`, no dropout before it)."""

    backbone_class = StackRNNModel
    backbone_name, head_name = "model", "score"  # the weight names of saved checkpoints


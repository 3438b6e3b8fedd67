"""IDS4 tagger: an SSM whose per-token transition is a full (non-diagonal) matrix computed from the input.

Merrill, Petty & Sabharwal (2024, "The Illusion of State in State-Space Models", section "a minimal
change") show that making S4's transition input-dependent and non-diagonal lifts an SSM out of TC0: one
layer can compose permutations, so it solves the word problems of S5/A5 at any length. Per head:

    h_0 = s (learned),   h_t = A(x_t) h_{t-1} + B x_t,   y_t = C h_t        (h_t in R^N)
    A(x_t) = softmax over rows i of (W_A x_t + E)   -> every column sums to 1

Stabilisation: A(x_t) is column-stochastic (entry (i, j) = share of slot j's content moved to slot i), so
each A(x_t) and every product of them has l1 operator norm 1 and keeps the total 1^T h: ||h_t||_1 <=
||h_{t-1}||_1 + ||b_t||_1, with no exponential growth or decay of states or gradients at any length.
The set is still rich enough: every 0/1 column-stochastic matrix, i.e. every map f: slots -> slots
acting by e_j -> e_f(j), is a softmax limit, so a head can move mass as any permutation (S5, A5, parity)
and as any non-invertible map (reset, flip-flop), which is how a finite automaton updates a one-hot
state. A row-stochastic choice would keep the norm bounded too but composes maps in the reverse order;
orthogonal matrices (matrix exp of a skew matrix) reach no odd permutation (det -1) and no reset.
E is identity_bias on the diagonal, so at initialisation a head mostly keeps its state. Softmax reaches
a permutation only in the limit: a leak eps per step damps the contrast between slots by about
(1 - N eps)^T, so a model trained on short sequences extrapolates a few times its training length.

Training: at initialisation A(x_t) hardly depends on the token (on A5, hidden 64: std over tokens ~0.01,
eigenvalues 1 and ~0.75), so the state forgets a token within a few steps. Learning first sits on a
plateau (only position 1 right, loss 3.2-3.6 on A5) and leaves it abruptly, after ~600-2,100 AdamW
steps at lr 1e-2 on the seeds tried; a schedule that has shrunk the step by then, or long training
sequences (weak signal per position), keep it there. Some seeds leave it slowly instead, into a
solution that fits the training lengths but does not extrapolate. After the escape, a decaying lr and
weight decay stop the logits from growing: the transitions stay soft and the model extrapolates less.
eval_configs/a5-ids4.yaml: constant lr, no weight decay, lengths 1..8, 4 epochs; its Measured block
gives the per-seed outcome.

Block (pre-norm, like an SSM/transformer block): x + mixer(RMSNorm(x)), then x + MLP(RMSNorm(x)).
Padding: at positions where attention_mask is 0 the transition is the identity and the input zero, so
the state passes through pads unchanged; left and right padding both leave the real positions exact.

Fast path: `ids4_scan` runs the recurrence as a time-first loop of batched matrix-vector products with a
hand-written adjoint backward. Parallel forms need N x N matrix products where the loop needs
matrix-vector ones; on CPU at batch 32, length 128, 4 heads of 8 slots, forward+backward of the scan took
8 ms this way, 27 ms chunked (prefix products in chunks of 8), 94 ms as a Hillis-Steele scan (log2 T
rounds) and 42 ms as the same loop under autograd (one thread). tests/models/test_ids4.py compares it
with the plain loop of naive.py in float64.

Self-contained (torch, transformers and the sibling config only): `save_pretrained` copies this file next
to the weights, and `AutoModelForTokenClassification.from_pretrained(path, trust_remote_code=True)`
loads the checkpoint without hf_statetrack.
"""

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutput

from .configuration_ids4 import IDS4Config
from .tagging_head import TokenTaggingHead


class IDS4ScanFn(torch.autograd.Function):
    """h_t = A_t h_{t-1} + b_t, forward in time; backward runs the adjoint recurrence backwards in time:

        lam_T = g_T,   lam_t = g_t + A_{t+1}^T lam_{t+1},
        dL/dA_t = lam_t h_{t-1}^T,   dL/db_t = lam_t,   dL/dh_0 = A_1^T lam_1.
    Only A and the states are saved; each step is one batched (X, N, N) x (X, N, 1) product.
    """

    @staticmethod
    def forward(ctx, A, b, h0):
        states = A.new_empty(A.shape[0] + 1, *h0.shape, 1)  # (T+1, X, N, 1): h_0 .. h_T
        states[0] = h0.unsqueeze(-1)
        for t in range(A.shape[0]):
            torch.baddbmm(b[t].unsqueeze(-1), A[t], states[t], out=states[t + 1])
        ctx.save_for_backward(A, states)
        return states[1:].squeeze(-1)  # (T, X, N)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        A, states = ctx.saved_tensors
        grad = grad.unsqueeze(-1)  # (T, X, N, 1)
        lam = torch.empty_like(states[1:])  # (T, X, N, 1): dL/dh_t through all later steps
        lam[-1] = grad[-1]
        for t in range(A.shape[0] - 2, -1, -1):
            torch.baddbmm(grad[t], A[t + 1].mT, lam[t + 1], out=lam[t])
        grad_A = lam @ states[:-1].mT  # (T, X, N, N): outer products lam_t h_{t-1}^T
        return grad_A, lam.squeeze(-1), (A[0].mT @ lam[0]).squeeze(-1)


def ids4_scan(A: torch.Tensor, b: torch.Tensor, h0: torch.Tensor) -> torch.Tensor:
    """States h_1..h_T (T, X, N) of h_t = A_t h_{t-1} + b_t; A (T, X, N, N), b (T, X, N), h0 (X, N).

    X counts independent sequences (batch x heads). Same values as `naive.ids4_scan_reference`.
    """
    # one dtype for the in-place products: under autocast A, b and the parameter h0 can differ
    return IDS4ScanFn.apply(A.contiguous(), b.to(A.dtype).contiguous(), h0.to(A.dtype).contiguous())


class IDS4Mixer(nn.Module):
    """num_heads independent IDS4 recurrences with states of state_size slots, read out jointly by C."""

    def __init__(self, config: IDS4Config):
        super().__init__()
        self.num_heads, self.state_size = config.num_heads, config.state_size
        heads, n = self.num_heads, self.state_size
        self.transition = nn.Linear(config.hidden_size, heads * n * n, bias=False)  # W_A
        self.transition_bias = nn.Parameter(torch.empty(heads, n, n))  # E
        self.input = nn.Linear(config.hidden_size, heads * n)  # B
        self.initial_state = nn.Parameter(torch.empty(heads, n))  # s
        self.output = nn.Linear(heads * n, config.hidden_size)  # C

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        batch, length, _ = x.shape
        heads, n = self.num_heads, self.state_size
        x = x.transpose(0, 1).contiguous()  # (T, B, D): time first, so that each step reads one contiguous block
        logits = self.transition(x).view(length, batch, heads, n, n) + self.transition_bias
        A = logits.softmax(dim=-2)  # (T, B, H, N, N); column j: where the content of slot j goes
        b = self.input(x).view(length, batch, heads, n)
        if attention_mask is not None:  # pads: identity transition, no input
            # (T, B, 1, 1); contiguous, or torch.where would lay its output out batch-first
            real = attention_mask.transpose(0, 1).bool().contiguous()[:, :, None, None]
            A = torch.where(real[..., None], A, torch.eye(n, dtype=A.dtype, device=A.device))
            b = b * real
        h0 = self.initial_state.expand(batch, heads, n).reshape(batch * heads, n)
        h = ids4_scan(A.view(length, batch * heads, n, n), b.view(length, batch * heads, n), h0)  # (T, B*H, N)
        return self.output(h.view(length, batch, heads * n).transpose(0, 1))  # (B, T, D)


class IDS4Block(nn.Module):
    def __init__(self, config: IDS4Config):
        super().__init__()
        self.mixer_norm = nn.RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.mixer = IDS4Mixer(config)
        self.mlp_norm = nn.RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.mlp = nn.Sequential(nn.Linear(config.hidden_size, config.intermediate_size), nn.GELU(),
                                 nn.Linear(config.intermediate_size, config.hidden_size))
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        x = x + self.dropout(self.mixer(self.mixer_norm(x), attention_mask))
        return x + self.dropout(self.mlp(self.mlp_norm(x)))


class IDS4PreTrainedModel(PreTrainedModel):
    config_class = IDS4Config
    base_model_prefix = "model"

    @torch.no_grad()
    def _init_weights(self, module):
        if isinstance(module, IDS4Mixer):
            eye = torch.eye(module.state_size).expand_as(module.transition_bias)
            init.copy_(module.transition_bias, self.config.identity_bias * eye)
            init.normal_(module.initial_state)  # distinct slot values, so a permuted state reveals the permutation
        else:
            super()._init_weights(module)


class IDS4Model(IDS4PreTrainedModel):
    """The backbone; hidden_states (with output_hidden_states) = embeddings + the output of every block."""

    def __init__(self, config: IDS4Config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(IDS4Block(config) for _ in range(config.num_hidden_layers))
        self.norm = nn.RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.dropout = nn.Dropout(config.dropout)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, output_hidden_states=None, **kwargs) -> BaseModelOutput:
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        hidden = self.dropout(self.embed_tokens(input_ids))  # (B, T, D)
        all_hidden = [hidden]
        for layer in self.layers:
            hidden = layer(hidden, attention_mask)  # (B, T, D)
            all_hidden.append(hidden)
        return BaseModelOutput(last_hidden_state=self.norm(hidden),
                               hidden_states=tuple(all_hidden) if output_hidden_states else None)


class IDS4ForTokenClassification(TokenTaggingHead, IDS4PreTrainedModel):
    """One label per input position: IDS4Model -> linear (`TokenTaggingHead`, no dropout before it)."""

    backbone_class = IDS4Model
    backbone_name, head_name = "model", "score"  # the weight names of saved checkpoints


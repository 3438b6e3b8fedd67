"""RWKV-7 "Goose" tagger (Peng et al. 2025, "RWKV-7 "Goose" with Expressive Dynamic State Evolution",
arXiv 2503.14456, section 4): a linear RNN whose per-channel decay and in-context learning rate come from the
token, with the generalised delta rule as its state update.

    input_ids (B, T) -> embed -> LayerNorm -> L x [x + time_mix(LN(x)); x + channel_mix(LN(x))] -> LN -> score

Time mix, per head of width d (row vectors, as the paper writes them), with x'_t = x_t + (x_{t-1} - x_t) * mu
(token shift, one learned mu per branch):

    r, k, v = x'W_r, x'W_k, x'W_v                 v = lerp(v, v_first, sigmoid(lowrank_v(x')))  (layers > 0)
    w_t = exp(-e^-0.5 sigmoid(lowrank_w(x')))    in (0.545, 1)     per-channel decay
    a_t = sigmoid(lowrank_a(x'))                 in (0, 1)         in-context learning rate
    kappa_hat = normalise(k * xi)  (removal key)     k~ = k * (1 + (a - 1) * alpha)  (replacement key)
    S_t = S_{t-1} (diag(w_t) - kappa_hat_t^T (a_t * kappa_hat_t)) + v_t^T k~_t
    p_t = GroupNorm(S_t r_t^T) + (r_t . (rho * k~_t)) v_t           out = (p_t * g_t) W_o,  g = lowrank_g(x')

Channel mix: k = ReLU(x' W_k)^2, out = k W_v (x' token-shifted with its own mu).

Eigenvalues: with a_t > 0 the transition M = diag(w) - kappa_hat^T (a * kappa_hat) is similar, through
diag(sqrt(a)), to the symmetric diag(w) - z^T z with z = sqrt(a) * kappa_hat and |z|^2 = sum a_i kappa_hat_i^2
< 1, so its eigenvalues are real and lie in (min w - |z|^2, max w) within (e^-e^-0.5 - 1, 1) = (-0.455, 1).
Negative eigenvalues are reachable (kappa_hat = e_i on a channel with w_i near 0.545 and a_i near 1 gives
w_i - a_i near -0.455) but -1 is not: one token cannot flip a sign exactly, as DeltaNet's beta = 2
can. The paper proves that RWKV-7 recognises every regular language (its section on expressivity); one layer
cannot do it token by token: each token's transition is diagonal plus rank one with a real spectrum, so no
rotation (a 3-cycle) fits in one token, and the preset says `recurrent: false`. Nothing grows: every transition
has spectral radius < 1.

Choices left open by the paper, taken here: the low-rank widths scale as 2.5 / 2.5 / 1.7 / 5 sqrt(width) without
the official code's rounding to multiples of 32 (too wide for CPU-size models); linear layers start from the
usual normal(0, 0.02) (the official code zeroes W_o and uses orthogonal inits); xi = alpha = 1 (k~ = a k: the
delta rule's step size on the written value) and rho = 0 at the start; the decay biases ramp from -6 to 0
across the channels as in the official initialisation. The fast path is chunkwise-parallel (chunked.py; naive.py
is the plain loop it is tested against), or flash-linear-attention's chunk_rwkv7 on CUDA when installed.

Padding: pads feed zeros to both token shifts and take an identity step (w = 1, a = 0, v = 0), so real positions
see the same values with left or right padding as without.

Self-contained (torch, transformers and sibling files): `save_pretrained` copies this file, the config and
chunked.py next to the weights, so checkpoints load without hf_statetrack (trust_remote_code=True).
"""

import functools
import importlib
import importlib.util
import math

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutput

from .chunked import rwkv7_chunked
from .configuration_rwkv7 import RWKV7Config
from .tagging_head import TokenTaggingHead

DECAY_SCALE = math.exp(-0.5)  # w = exp(-e^-0.5 sigmoid(.)): the paper's bound keeps w in (0.545, 1)
BRANCHES = ("r", "w", "k", "v", "a", "g")  # inputs of the time mix, each with its own token-shift mix mu
SHIFT_POWERS = (0.2, 0.9, 0.7, 0.7, 0.9, 0.2)  # initial mu = 1 - (n / width)^(power * (1 - layer / L))


@functools.cache
def fla_chunk_rwkv7():
    """flash-linear-attention's `chunk_rwkv7` if the package is installed, else None (it is never required).
    Imported by name, so that transformers' remote-code import check does not demand it."""
    if importlib.util.find_spec("fla") is None:
        return None
    return importlib.import_module("fla.ops.rwkv7").chunk_rwkv7


def generalized_delta_rule(r, log_w, k, v, alpha, beta, chunk_size, use_fla_kernels):
    """r, log_w, k, alpha, beta (B, T, H, K), v (B, T, H, V) -> o (B, T, H, V) (see naive.py for the recurrence).

    fla's kernel takes the log decay as `w`, as fla's own RWKV-7 layer passes it; it runs only on CUDA and is not
    exercised by the CPU tests."""
    kernel = fla_chunk_rwkv7() if use_fla_kernels and r.is_cuda else None
    if kernel is None:
        return rwkv7_chunked(r, log_w, k, v, alpha, beta, chunk_size)
    o, _ = kernel(r=r, w=log_w, k=k, v=v, a=alpha, b=beta, scale=1.0, output_final_state=False)
    return o.to(v.dtype)


def token_shift(x):
    """x (B, T, D) -> x_{t-1} (B, T, D), zeros before the first token."""
    return F.pad(x, (0, 0, 1, -1))


class LowRank(nn.Module):
    """x -> act(x A) B: the low-rank MLPs that compute the decay, learning rate, value mix and gate."""

    def __init__(self, width: int, rank: int, activation: nn.Module):
        super().__init__()
        self.down = nn.Linear(width, rank, bias=False)
        self.activation = activation
        self.up = nn.Linear(rank, width, bias=False)

    def forward(self, x):
        return self.up(self.activation(self.down(x)))


class RWKV7TimeMix(nn.Module):
    def __init__(self, config: RWKV7Config, layer_idx: int):
        super().__init__()
        self.config, self.layer_idx = config, layer_idx
        width, head_dim = config.hidden_size, config.head_dim
        self.num_heads = width // head_dim
        self.shift_mix = nn.Parameter(torch.zeros(len(BRANCHES), width))  # mu_r ... mu_g
        self.r_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(width, width, bias=False) for _ in range(4))
        self.decay = LowRank(width, config.decay_low_rank, nn.Tanh())
        self.decay_bias = nn.Parameter(torch.zeros(width))
        self.iclr = LowRank(width, config.iclr_low_rank, nn.Identity())
        self.iclr_bias = nn.Parameter(torch.zeros(width))
        if layer_idx > 0:  # the first layer's values are v_first itself
            self.value_mix = LowRank(width, config.value_low_rank, nn.Identity())
            self.value_bias = nn.Parameter(torch.zeros(width))
        self.gate = LowRank(width, config.gate_low_rank, nn.Sigmoid())
        self.removal_scale = nn.Parameter(torch.ones(width))  # xi: kappa = k * xi
        self.replacement_mix = nn.Parameter(torch.ones(width))  # alpha: k~ = k * lerp(1, a, alpha)
        self.bonus = nn.Parameter(torch.zeros(self.num_heads, head_dim))  # rho
        self.head_norm = nn.GroupNorm(self.num_heads, width, eps=head_dim * config.layer_norm_eps)

    def forward(self, x, mask, v_first):
        """x (B, T, D), mask (B, T, 1), v_first (B, T, D) or None in layer 0 -> (B, T, D), v_first."""
        batch, length, width = x.shape
        x = x * mask  # pads enter the token shift as zeros
        mixed = x.unsqueeze(2) + (token_shift(x) - x).unsqueeze(2) * self.shift_mix  # (B, T, 6, D)
        xr, xw, xk, xv, xa, xg = mixed.unbind(2)
        r, k, v = self.r_proj(xr), self.k_proj(xk), self.v_proj(xv)
        if self.layer_idx == 0:
            v_first = v
        else:
            v = torch.lerp(v, v_first, torch.sigmoid(self.value_mix(xv) + self.value_bias))
        log_w = -DECAY_SCALE * torch.sigmoid(self.decay(xw) + self.decay_bias) * mask  # pads: w = 1
        a = torch.sigmoid(self.iclr(xa) + self.iclr_bias) * mask  # pads: nothing removed
        heads = functools.partial(torch.unflatten, dim=-1, sizes=(self.num_heads, -1))  # (B, T, D) -> (B, T, H, d)
        kappa = F.normalize(heads(k * self.removal_scale), dim=-1)  # unit removal key per head
        k = k * (1 + (a - 1) * self.replacement_mix)  # replacement key
        r, k, v, a, log_w = heads(r), heads(k), heads(v * mask), heads(a), heads(log_w)
        o = generalized_delta_rule(r, log_w, k, v, -kappa, kappa * a, self.config.chunk_size,
                                   self.config.use_fla_kernels)  # (B, T, H, d)
        o = self.head_norm(o.reshape(-1, width)).view(batch, length, width)
        o = o + ((r * k * self.bonus).sum(-1, keepdim=True) * v).flatten(-2)  # the bonus of the current token
        return self.o_proj(o * self.gate(xg)), v_first


class RWKV7ChannelMix(nn.Module):
    def __init__(self, config: RWKV7Config, layer_idx: int):
        super().__init__()
        self.layer_idx = layer_idx
        self.shift_mix = nn.Parameter(torch.zeros(config.hidden_size))
        self.key = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.value = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x, mask):
        x = x * mask
        return self.value(torch.relu(self.key(x + (token_shift(x) - x) * self.shift_mix)) ** 2)


class RWKV7Block(nn.Module):
    def __init__(self, config: RWKV7Config, layer_idx: int):
        super().__init__()
        self.attn_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attn = RWKV7TimeMix(config, layer_idx)
        self.ffn_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.ffn = RWKV7ChannelMix(config, layer_idx)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x, mask, v_first):
        mixed, v_first = self.attn(self.attn_norm(x), mask, v_first)
        x = x + self.dropout(mixed)
        return x + self.dropout(self.ffn(self.ffn_norm(x), mask)), v_first


class RWKV7PreTrainedModel(PreTrainedModel):
    config_class = RWKV7Config
    base_model_prefix = "model"

    @torch.no_grad()
    def _init_weights(self, module):
        """Token-shift mixes and decay biases ramp over channels and depth as in the official initialisation."""
        if isinstance(module, (RWKV7TimeMix, RWKV7ChannelMix)):
            width, layers = self.config.hidden_size, self.config.num_hidden_layers
            time_mix = isinstance(module, RWKV7TimeMix)
            fading = 1 - module.layer_idx / layers  # 1 in the first layer, towards 0 in the last
            channel = torch.arange(width, dtype=torch.float32) / width
            powers = torch.tensor(SHIFT_POWERS if time_mix else (1.0,)).unsqueeze(-1)  # (branches, 1)
            init.copy_(module.shift_mix, (1 - channel ** (powers * fading)).reshape(module.shift_mix.shape))
            if time_mix:
                deeper = module.layer_idx / max(1, layers - 1)
                init.copy_(module.decay_bias, -6 + 6 * torch.linspace(0, 1, width) ** (1 + deeper**0.3))
        else:
            super()._init_weights(module)


class RWKV7Model(RWKV7PreTrainedModel):
    """The backbone; hidden_states (with output_hidden_states) = embeddings + the output of every block."""

    def __init__(self, config: RWKV7Config):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.embed_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)  # the paper's ln0
        self.layers = nn.ModuleList(RWKV7Block(config, i) for i in range(config.num_hidden_layers))
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, output_hidden_states=None, **kwargs) -> BaseModelOutput:
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        hidden = self.embed_norm(self.embed_tokens(input_ids))  # (B, T, D)
        mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
        mask = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        all_hidden, v_first = [hidden], None
        for layer in self.layers:
            hidden, v_first = layer(hidden, mask, v_first)
            all_hidden.append(hidden)
        return BaseModelOutput(last_hidden_state=self.norm(hidden),
                               hidden_states=tuple(all_hidden) if output_hidden_states else None)


class RWKV7ForTokenClassification(TokenTaggingHead, RWKV7PreTrainedModel):
    """One label per input position: RWKV7Model -> dropout (config.dropout) -> linear (`TokenTaggingHead`)."""

    backbone_class = RWKV7Model
    backbone_name, head_name = "model", "score"  # the weight names of saved checkpoints

    def head_dropout(self, config: RWKV7Config) -> float:
        return config.dropout

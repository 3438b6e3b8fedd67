"""DeltaNet tagger: a linear RNN whose transitions are generalised Householder matrices, allowed negative
eigenvalues (Grazzi et al. 2024, "Unlocking State-Tracking in Linear RNNs Through Negative Eigenvalues").

    input_ids (B, T) -> embed (B, T, D) -> L x [x + mixer(norm(x)); x + mlp(norm(x))] -> norm -> score (B, T, labels)

The mixer, per head (width d = D / heads), with a (d x d) state S_0 = 0:

    q, k, v = SiLU(causal_conv(W_q x)), ...      k_t, q_t scaled to unit length
    beta_t = 2 sigmoid(w_b . x_t)  in (0, 2)     (sigmoid alone, in (0, 1), if not allow_negative_eigenvalues)
    S_t = S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T        o_t = S_t q_t
    out = W_o [RMSNorm(o_t) * SiLU(W_g x_t)]      (no gate if not use_output_gate)

I - beta k k^T has eigenvalue 1 - beta along k and 1 elsewhere. With beta in (0, 2) that is (-1, 1): a sign
flip (beta = 2, a reflection) is one step, so parity and modular counting become reachable, while |1 - beta| <= 1
keeps every transition non-expansive: nothing grows exponentially, at any length. The delta rule runs chunkwise
in parallel (chunked.py; naive.py is the plain loop it is tested against), or with flash-linear-attention's
Triton kernel on CUDA when that is installed.

Padding: a position with attention_mask 0 feeds zeros to the convolution and gets beta = 0 (the state passes
through unchanged), so real positions see the same values with left or right padding as without.

Self-contained (torch, transformers and sibling files): `save_pretrained` copies this file, the config and the
delta-rule files next to the weights, so checkpoints load without hf_statetrack (trust_remote_code=True).
"""

import functools
import importlib
import importlib.util

import torch
import torch.nn.functional as F
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import BaseModelOutput

from .chunked import delta_rule_chunked
from .configuration_deltanet import DeltaNetConfig
from .tagging_head import TokenTaggingHead


@functools.cache
def fla_delta_rule():
    """flash-linear-attention's `chunk_delta_rule` if the package is installed, else None (it is never required).
    Imported by name, so that transformers' remote-code import check does not demand it."""
    if importlib.util.find_spec("fla") is None:
        return None
    return importlib.import_module("fla.ops.delta_rule").chunk_delta_rule


def delta_rule(q, k, v, beta, chunk_size, use_fla_kernels):
    """q, k (B, T, H, K), v (B, T, H, V), beta (B, T, H) -> o (B, T, H, V) (see naive.py for the recurrence).

    fla's kernel (a recent release: (B, T, H, K) inputs with `head_first=False`) runs only on CUDA; it is not
    exercised by the CPU tests."""
    kernel = fla_delta_rule() if use_fla_kernels and q.is_cuda else None
    if kernel is None:
        return delta_rule_chunked(q, k, v, beta, chunk_size)
    half = v.dtype if v.dtype in (torch.float16, torch.bfloat16) else torch.bfloat16  # the kernel rejects float32
    o, _ = kernel(q=q.to(half), k=k.to(half), v=v.to(half), beta=beta.to(half), scale=1.0, head_first=False)
    return o.to(v.dtype)


class DeltaNetMixer(nn.Module):
    """Variants override `steps_per_token` (DeltaProduct: n_h keys, values and betas per token), `log_decays` and
    `recurrence` (Gated DeltaNet); projections, convolution, normalisation and gating are shared."""

    steps_per_token = 1

    def __init__(self, config: DeltaNetConfig):
        super().__init__()
        self.config = config
        width, self.num_heads = config.hidden_size, config.num_heads
        channels = (1 + 2 * self.steps_per_token) * width  # q, then the keys, then the values
        self.qkv_proj = nn.Linear(width, channels, bias=False)
        self.beta_proj = nn.Linear(width, config.num_heads * self.steps_per_token, bias=False)
        # depthwise over the channels of q, k, v; left-padded in forward, so it is causal
        self.conv = nn.Conv1d(channels, channels, config.conv_size, groups=channels, bias=False) \
            if config.use_short_conv else None
        self.gate_proj = nn.Linear(width, width, bias=False) if config.use_output_gate else None
        self.head_norm = nn.RMSNorm(width // config.num_heads, eps=config.rms_norm_eps)
        self.o_proj = nn.Linear(width, width, bias=False)

    def step_sizes(self, x, mask):
        """beta (B, T, n, H) for n steps per token: 2 sigmoid (or sigmoid) of a projection of x; 0 at pads, an
        identity step."""
        beta = torch.sigmoid(self.beta_proj(x)) * mask
        beta = beta.unflatten(-1, (self.steps_per_token, self.num_heads))  # (B, T, n, H)
        return 2 * beta if self.config.allow_negative_eigenvalues else beta

    def queries_keys_values(self, x):
        """q (B, T, H, d) and k, v (B, T, n, H, d) for n steps per token; q and k unit length."""
        batch, length, _ = x.shape
        qkv = self.qkv_proj(x)  # (B, T, (1 + 2n) D)
        if self.conv is not None:
            qkv = self.conv(F.pad(qkv.transpose(1, 2), (self.conv.kernel_size[0] - 1, 0))).transpose(1, 2)
        qkv = F.silu(qkv).reshape(batch, length, 1 + 2 * self.steps_per_token, self.num_heads, -1)
        q, k, v = qkv.split([1, self.steps_per_token, self.steps_per_token], dim=2)  # each (B, T, ., H, d)
        return F.normalize(q.squeeze(2), dim=-1), F.normalize(k, dim=-1), v

    def log_decays(self, x, mask):
        """log alpha (B, T, H) of a decay gate on the state (Gated DeltaNet); DeltaNet has none."""
        return None

    def recurrence(self, q, k, v, beta, g):
        """q (B, T, H, d), k, v (B, T, 1, H, d), beta (B, T, 1, H), g None -> (B, T, H, d)."""
        k, v, beta = k.squeeze(2), v.squeeze(2), beta.squeeze(2)
        return delta_rule(q, k, v, beta, self.config.chunk_size, self.config.use_fla_kernels)

    def forward(self, x, mask):
        """x (B, T, D), mask (B, T, 1) of 0/1 -> (B, T, D)."""
        batch, length, width = x.shape
        x = x * mask  # pads enter the convolution as zeros
        q, k, v = self.queries_keys_values(x)
        o = self.recurrence(q, k, v, self.step_sizes(x, mask), self.log_decays(x, mask))  # (B, T, H, d)
        o = self.head_norm(o).reshape(batch, length, width)  # (B, T, D)
        if self.gate_proj is not None:
            o = o * F.silu(self.gate_proj(x))
        return self.o_proj(o)


class SwiGLU(nn.Module):
    def __init__(self, config: DeltaNetConfig):
        super().__init__()
        self.gate_up = nn.Linear(config.hidden_size, 2 * config.intermediate_size, bias=False)
        self.down = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x):
        gate, up = self.gate_up(x).chunk(2, dim=-1)  # each (B, T, intermediate)
        return self.down(F.silu(gate) * up)


class DeltaNetBlock(nn.Module):
    def __init__(self, config: DeltaNetConfig, mixer_class: type[DeltaNetMixer] = DeltaNetMixer):
        super().__init__()
        self.mixer_norm = nn.RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.mixer = mixer_class(config)
        self.mlp_norm = nn.RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.mlp = SwiGLU(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x, mask):
        x = x + self.dropout(self.mixer(self.mixer_norm(x), mask))
        return x + self.dropout(self.mlp(self.mlp_norm(x)))


class DeltaNetPreTrainedModel(PreTrainedModel):
    config_class = DeltaNetConfig
    base_model_prefix = "model"

    @torch.no_grad()
    def _init_weights(self, module):
        if isinstance(module, nn.Conv1d):  # torch's own U(+-1/sqrt(conv_size)); std 0.02 would all but zero q, k, v
            bound = module.kernel_size[0] ** -0.5
            init.uniform_(module.weight, -bound, bound)
        else:
            super()._init_weights(module)


class DeltaNetModel(DeltaNetPreTrainedModel):
    """The backbone; hidden_states (with output_hidden_states) = embeddings + the output of every block."""

    mixer_class = DeltaNetMixer  # subclasses (DeltaProduct, Gated DeltaNet) swap the mixer, nothing else

    def __init__(self, config: DeltaNetConfig):
        super().__init__(config)
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(DeltaNetBlock(config, self.mixer_class) for _ in range(config.num_hidden_layers))
        self.norm = nn.RMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, output_hidden_states=None, **kwargs) -> BaseModelOutput:
        if output_hidden_states is None:
            output_hidden_states = self.config.output_hidden_states
        hidden = self.embed_tokens(input_ids)  # (B, T, D)
        mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
        mask = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        all_hidden = [hidden]
        for layer in self.layers:
            hidden = layer(hidden, mask)
            all_hidden.append(hidden)
        return BaseModelOutput(last_hidden_state=self.norm(hidden),
                               hidden_states=tuple(all_hidden) if output_hidden_states else None)


class DeltaNetForTokenClassification(TokenTaggingHead, DeltaNetPreTrainedModel):
    """One label per input position: DeltaNetModel -> dropout (config.dropout) -> linear (`TokenTaggingHead`)."""

    backbone_class = DeltaNetModel
    backbone_name, head_name = "model", "score"  # the weight names of saved checkpoints

    def head_dropout(self, config: DeltaNetConfig) -> float:
        return config.dropout


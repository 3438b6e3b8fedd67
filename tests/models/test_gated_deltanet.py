"""Gated DeltaNet: the chunked gated delta rule equals the plain loop (float64, values and gradients), g = 0 is
DeltaNet, the mixer equals OLMo-hybrid's Gated DeltaNet layer on the same weights, and the rule equals
Qwen3-Next's PyTorch kernel on the same inputs."""

import doctest

import pytest
import torch
import torch.nn.functional as F

from hf_statetrack.core import upstream
from hf_statetrack.models import build_model
from hf_statetrack.models.deltanet import delta_rule_reference
from hf_statetrack.models.gated_deltanet import (
    GatedDeltaNetConfig,
    gated_delta_rule_chunked,
    gated_delta_rule_reference,
)
from hf_statetrack.models.gated_deltanet.modeling_gated_deltanet import GatedDeltaNetMixer

from .tiny import LABELS, VOCAB, assert_same_values_and_gradients, random_batch


def random_gated_inputs(length, dtype=torch.float64, seed=0, batch=2, heads=3, key_dim=5, value_dim=4):
    """q, k (unit length), v, beta in (0, 2) and g = log alpha in (-3, 0), as leaves that collect gradients."""
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, length, heads, key_dim, generator=gen, dtype=dtype)
    k = F.normalize(torch.randn(batch, length, heads, key_dim, generator=gen, dtype=dtype), dim=-1)
    v = torch.randn(batch, length, heads, value_dim, generator=gen, dtype=dtype)
    beta = 2 * torch.rand(batch, length, heads, generator=gen, dtype=dtype)
    g = -3 * torch.rand(batch, length, heads, generator=gen, dtype=dtype)
    return [x.requires_grad_() for x in (q, k, v, beta, g)]


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 16, 64])
def test_chunked_gated_delta_rule_matches_the_loop_in_float64(chunk_size):
    inputs = random_gated_inputs(20)
    assert_same_values_and_gradients(gated_delta_rule_chunked(*inputs, chunk_size=chunk_size),
                                     gated_delta_rule_reference(*inputs), inputs, "q k v beta g")


@torch.no_grad()
def test_no_decay_is_the_delta_rule():
    q, k, v, beta, g = random_gated_inputs(11)
    torch.testing.assert_close(gated_delta_rule_chunked(q, k, v, beta, 0 * g), delta_rule_reference(q, k, v, beta),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("negative", [True, False])
def test_tagger_trains_and_decays_stay_in_range(negative):
    torch.manual_seed(0)
    model = build_model("gated_deltanet", vocab_size=VOCAB, num_labels=LABELS, num_layers=1, hidden_size=16,
                        num_heads=2, allow_negative_eigenvalues=negative).train()
    input_ids, labels = random_batch(batch=3, length=12)
    out = model(input_ids, labels=labels)
    out.loss.backward()
    assert all(p.grad is not None for p in model.parameters())
    mixer = model.model.layers[0].mixer
    x, mask = torch.randn(3, 12, 16), torch.ones(3, 12, 1)
    mask[0, :4] = 0
    g = mixer.log_decays(x, mask)
    assert (g <= 0).all() and (g[0, :4] == 0).all() and (g[1:] < 0).all()
    assert mixer.step_sizes(x, mask).max() <= (2 if negative else 1)


def require(hook: str):
    problem = upstream.HOOKS[hook].check()
    if problem is not None:
        pytest.skip(f"transformers moved what this parity test compares against: {problem}")


@torch.no_grad()
@pytest.mark.parametrize("negative", [True, False])
def test_mixer_equals_olmo_hybrid_gated_deltanet_on_the_same_weights(negative):
    """OLMo-hybrid's layer is the same rule with the same parts; its kernel also scales q by d^-1/2, which the
    output RMSNorm absorbs up to its epsilon (set to 1e-12 on both sides here), and normalises q, k as
    x / sqrt(|x|^2 + 1e-6) where we use x / |x|: measured differences up to 6e-5 on outputs of order 1."""
    require("gated_delta_layers")
    from transformers import OlmoHybridConfig
    from transformers.models.olmo_hybrid.modeling_olmo_hybrid import OlmoHybridGatedDeltaNet

    torch.manual_seed(0)
    theirs_config = OlmoHybridConfig(hidden_size=32, num_hidden_layers=2,
                                     layer_types=["linear_attention", "full_attention"], linear_num_key_heads=2,
                                     linear_num_value_heads=2, linear_key_head_dim=16, linear_value_head_dim=16,
                                     linear_conv_kernel_dim=4,
                                     linear_allow_neg_eigval=negative)
    theirs = OlmoHybridGatedDeltaNet(theirs_config, layer_idx=0).eval()
    theirs.o_norm.variance_epsilon = 1e-12
    ours = GatedDeltaNetMixer(GatedDeltaNetConfig(hidden_size=32, num_heads=2, conv_size=4, rms_norm_eps=1e-12,
                                                  allow_negative_eigenvalues=negative)).eval()
    ours.qkv_proj.weight.copy_(torch.cat([theirs.q_proj.weight, theirs.k_proj.weight, theirs.v_proj.weight]))
    for mine, their in [("conv", "conv1d"), ("beta_proj", "b_proj"), ("decay_proj", "a_proj"),
                        ("gate_proj", "g_proj"), ("head_norm", "o_norm"), ("o_proj", "o_proj")]:
        getattr(ours, mine).weight.copy_(getattr(theirs, their).weight)
    ours.A_log.copy_(theirs.A_log)
    ours.dt_bias.copy_(theirs.dt_bias)
    x = torch.randn(2, 37, 32)
    torch.testing.assert_close(ours(x, torch.ones(2, 37, 1)), theirs(x), rtol=1e-3, atol=2e-4)


@torch.no_grad()
def test_rule_equals_qwen3_next_torch_kernel():
    """Qwen3-Next's PyTorch fallback of fla's chunk_gated_delta_rule: it normalises q and k and scales q by
    d^-1/2 inside; ours takes them ready."""
    require("gated_delta_layers")
    from transformers.models.qwen3_next.modeling_qwen3_next import torch_chunk_gated_delta_rule

    q, k, v, beta, g = (x.detach().float() for x in random_gated_inputs(45, heads=2, key_dim=8, value_dim=8))
    q_raw, k_raw = 3 * q, 2 * k + 0.1  # not unit length: the kernel normalises them
    theirs, _ = torch_chunk_gated_delta_rule(q_raw, k_raw, v, g=g, beta=beta, chunk_size=16,
                                             use_qk_l2norm_in_kernel=True)
    ours = gated_delta_rule_chunked(F.normalize(q_raw, dim=-1) * 8**-0.5, F.normalize(k_raw, dim=-1), v, beta, g)
    torch.testing.assert_close(ours, theirs.to(ours.dtype), rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
def test_fla_kernel_matches_the_reference_on_cuda():
    """With flash-linear-attention installed, the CUDA path (bfloat16 kernel) stays within bf16 rounding."""
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    pytest.importorskip("fla")
    from hf_statetrack.models.gated_deltanet.modeling_gated_deltanet import gated_delta_rule

    q, k, v, beta, g = (x.detach().float().cuda() for x in random_gated_inputs(128, heads=2, key_dim=16,
                                                                                value_dim=16))
    got = gated_delta_rule(q, k, v, beta, g, chunk_size=16, use_fla_kernels=True)
    expected = gated_delta_rule_reference(*(x.double() for x in (q, k, v, beta, g))).float()
    assert (got - expected).abs().max() < 3e-2 * expected.abs().max()


def test_docstring_examples():
    from hf_statetrack.models.gated_deltanet import configuration_gated_deltanet

    assert doctest.testmod(configuration_gated_deltanet).failed == 0

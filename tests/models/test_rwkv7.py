"""RWKV-7: the chunked generalised delta rule equals the plain loop (float64, values and gradients), the
transitions' eigenvalues lie where modeling_rwkv7.py says, pads are identity steps, and the tagger learns."""

import doctest
import math

import pytest
import torch
import torch.nn.functional as F

from hf_statetrack.models import build_model
from hf_statetrack.models.rwkv7 import PRESET, RWKV7Config, rwkv7_chunked, rwkv7_reference, state_size_per_layer
from hf_statetrack.models.rwkv7.modeling_rwkv7 import DECAY_SCALE, generalized_delta_rule

from .tiny import LABELS, VOCAB, assert_same_values_and_gradients, check_padding_on_either_side, loss_after_training


def random_rwkv7_inputs(length, dtype=torch.float64, seed=0, batch=2, heads=3, key_dim=5, value_dim=4, iclr=(0, 1)):
    """r, log w in (-e^-0.5, 0), k, v and RWKV-7's alpha = -kappa, beta = a kappa (kappa unit, a in iclr), as leaves."""
    gen = torch.Generator().manual_seed(seed)
    r, k = (torch.randn(batch, length, heads, key_dim, generator=gen, dtype=dtype) for _ in range(2))
    v = torch.randn(batch, length, heads, value_dim, generator=gen, dtype=dtype)
    log_w = -DECAY_SCALE * torch.rand(batch, length, heads, key_dim, generator=gen, dtype=dtype)
    kappa = F.normalize(torch.randn(batch, length, heads, key_dim, generator=gen, dtype=dtype), dim=-1)
    a = iclr[0] + (iclr[1] - iclr[0]) * torch.rand(batch, length, heads, key_dim, generator=gen, dtype=dtype)
    return [x.requires_grad_() for x in (r, log_w, k, v, -kappa, a * kappa)]


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 16, 64])
def test_chunked_rule_matches_the_loop_in_float64(chunk_size):
    """Values and gradients, with chunks that do and do not divide the length (20)."""
    inputs = random_rwkv7_inputs(20)
    assert_same_values_and_gradients(rwkv7_chunked(*inputs, chunk_size=chunk_size), rwkv7_reference(*inputs),
                                     inputs, "r log_w k v alpha beta")


@torch.no_grad()
@pytest.mark.parametrize("strongest_decay", [False, True])
def test_chunked_rule_is_accurate_in_float32_over_long_sequences(strongest_decay):
    """512 steps, learning rates near 1, chunks of 64: float32 errs by < 1e-5 of the output scale against the float64
    loop, also with every w at its floor 0.545, where 1 / G reaches e^39 inside a chunk (measured 2026-12-06: 1e-6
    and 1.4e-6; chunks of 16: 2e-7; the float32 loop: 1-2e-7)."""
    r, log_w, k, v, alpha, beta = (x.detach() for x in random_rwkv7_inputs(512, seed=1, key_dim=8, value_dim=8,
                                                                            iclr=(0.9, 1)))
    if strongest_decay:
        log_w = torch.full_like(log_w, -DECAY_SCALE)
    expected = rwkv7_reference(r, log_w, k, v, alpha, beta)
    got = rwkv7_chunked(*(x.float() for x in (r, log_w, k, v, alpha, beta)), chunk_size=64)
    assert got.dtype == torch.float32
    assert (got.double() - expected).abs().max() < 1e-5 * expected.abs().max()


def transition(log_w, kappa, a):
    """The paper's diag(w) - kappa^T (a * kappa) (K x K) for one token and head."""
    return torch.diag(log_w.exp()) - torch.outer(kappa, a * kappa)


def test_eigenvalues_are_real_and_within_the_stated_range():
    """Random transitions: real eigenvalues in (e^-e^-0.5 - 1, 1) = (-0.455, 1), the PRESET's fact; the floor is
    approached by kappa = e_1 with w_1 at its minimum and a_1 near 1, so negative eigenvalues are reachable."""
    low = math.exp(-DECAY_SCALE) - 1
    assert PRESET.eigenvalues == f"({low:.3f}, 1)"
    gen = torch.Generator().manual_seed(0)
    for _ in range(200):
        log_w = -DECAY_SCALE * torch.rand(6, generator=gen, dtype=torch.float64)
        kappa = F.normalize(torch.randn(6, generator=gen, dtype=torch.float64), dim=0)
        eigenvalues = torch.linalg.eigvals(transition(log_w, kappa, torch.rand(6, generator=gen, dtype=torch.float64)))
        assert eigenvalues.imag.abs().max() < 1e-9
        assert low < eigenvalues.real.min() and eigenvalues.real.max() < 1
    extreme = transition(torch.full((6,), -DECAY_SCALE, dtype=torch.float64), torch.eye(6, dtype=torch.float64)[0],
                         torch.full((6,), 1 - 1e-9, dtype=torch.float64))
    assert torch.linalg.eigvals(extreme).real.min() == pytest.approx(low, abs=1e-8)


def test_padding_on_either_side_leaves_real_positions_unchanged():
    check_padding_on_either_side(PRESET)


def test_tagger_learns_a_fixed_batch():
    torch.manual_seed(0)
    model = build_model("rwkv7", vocab_size=VOCAB, num_labels=LABELS, **PRESET.tiny)
    first, last = loss_after_training(model)
    assert last < 0.5 * first, (first, last)


def test_state_size_per_layer_counts_every_head_state_and_both_token_shifts():
    config = RWKV7Config(hidden_size=32, head_dim=8, num_hidden_layers=3)
    assert state_size_per_layer(config) == [4 * 8 * 8 + 2 * 32] * 3


@pytest.mark.gpu
def test_fla_kernel_matches_the_reference_on_cuda():
    """With flash-linear-attention installed, its chunk_rwkv7 (fed the log decay as fla's layer does) stays within
    half-precision rounding of the float64 loop, and the whole tagger gives the same logits either way."""
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    pytest.importorskip("fla")
    inputs = [x.detach().float().cuda() for x in random_rwkv7_inputs(128, heads=2, key_dim=16, value_dim=16)]
    got = generalized_delta_rule(*inputs, chunk_size=16, use_fla_kernels=True)
    expected = rwkv7_reference(*(x.double() for x in inputs)).float()
    assert (got - expected).abs().max() < 3e-2 * expected.abs().max()
    torch.manual_seed(0)
    model = build_model("rwkv7", vocab_size=VOCAB, num_labels=LABELS, hidden_size=64, head_dim=16).cuda().eval()
    input_ids = torch.randint(0, VOCAB, (2, 100), device="cuda")
    with torch.no_grad():
        fla_logits = model(input_ids).logits
        model.config.use_fla_kernels = False
        torch_logits = model(input_ids).logits
    assert (fla_logits - torch_logits).abs().max() < 5e-2 * torch_logits.abs().max()


def test_docstring_examples():
    from hf_statetrack.models.rwkv7 import configuration_rwkv7

    assert doctest.testmod(configuration_rwkv7).failed == 0

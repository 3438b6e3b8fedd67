"""PD-SSM: the structured parallel scan equals the dense straight-through loop (float64, values and gradients of
the selection scores, the diagonal and the input), one layer applies permutations exactly at any length, pads
are identity steps, and the tagger learns."""

import doctest
import math

import pytest
import torch
import torch.nn.functional as F

from hf_statetrack.models import build_model
from hf_statetrack.models.pd_ssm import PRESET, PDSSMConfig, pd_ssm_reference, pd_ssm_scan, state_size_per_layer
from hf_statetrack.tasks.group_specs import parse_group

from .tiny import LABELS, VOCAB, assert_same_values_and_gradients, check_padding_on_either_side, loss_after_training


def random_pd_inputs(length, size=5, dtype=torch.float64, seed=0, batch=2):
    """Leaves: selection logits (B, T, N, N), magnitudes in (0, 1), phases, input (real, imaginary) pairs."""
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, length, size, size, generator=gen, dtype=dtype)
    magnitude = torch.rand(batch, length, size, generator=gen, dtype=dtype)
    phase = 2 * math.pi * torch.rand(batch, length, size, generator=gen, dtype=dtype)
    pairs = torch.randn(batch, length, size, 2, generator=gen, dtype=dtype)
    return [x.requires_grad_() for x in (logits, magnitude, phase, pairs)]


def run(recurrence, logits, magnitude, phase, pairs):
    """The model's inputs to the recurrence: column-wise softmax scores, complex d and b, h_0 = e_1."""
    h0 = torch.zeros(logits.shape[-1], dtype=torch.complex128)
    h0[0] = 1
    h = recurrence(logits.softmax(-2), torch.polar(magnitude, phase), torch.view_as_complex(pairs), h0)
    return torch.view_as_real(h)  # (B, T, N, 2): real outputs for the comparison


@pytest.mark.parametrize("length", [1, 2, 7, 21, 64])
def test_scan_matches_the_dense_loop_in_float64(length):
    """Lengths that are and are not powers of two; gradients reach the selection logits only through the
    straight-through estimator (the forward pass is one-hot)."""
    inputs = random_pd_inputs(length)
    assert_same_values_and_gradients(run(pd_ssm_scan, *inputs), run(pd_ssm_reference, *inputs), inputs,
                                     "logits magnitude phase input", rtol=1e-12, grad_rtol=1e-11)


def test_selection_gets_the_straight_through_gradient():
    """dL/dp_t = g_t (D_t h_{t-1})^T: nonzero for the selection scores although the forward pass is a hard argmax."""
    logits, magnitude, phase, pairs = random_pd_inputs(6)
    run(pd_ssm_scan, logits, magnitude, phase, pairs).sum().backward()
    assert logits.grad.abs().min(dim=-2).values.gt(0).any() and torch.isfinite(logits.grad).all()


@torch.no_grad()
def test_one_layer_applies_a5_permutations_exactly_at_any_length():
    """Transitions chosen as A5's permutation matrices (|d| = 1, no input): after 1,000 random elements the state is
    the initial one moved by the running product, read off the group's Cayley table (the word problem's label);
    the paper's one-layer claim in miniature."""
    group = parse_group("A5")
    words = torch.randint(0, 60, (3, 1000), generator=torch.Generator().manual_seed(0))  # (B, T) element ids
    perms = torch.as_tensor(group.permutations)  # (60, 5): slot j -> slot perms[g, j]
    scores = F.one_hot(perms[words], 5).transpose(-1, -2).double()  # column j one-hot at row perms[g, j]
    d = torch.ones(3, 1000, 5, dtype=torch.complex128)
    h0 = torch.arange(1.0, 6.0, dtype=torch.float64).to(torch.complex128)  # distinct values: the state shows the map
    h = pd_ssm_scan(scores, d, torch.zeros_like(d), h0)
    product = torch.zeros(3, dtype=torch.long)  # the identity
    for t in range(1000):
        product = torch.as_tensor(group.cayley_table)[product, words[:, t]].long()
    expected = torch.zeros(3, 5, dtype=torch.complex128).scatter(-1, perms[product], h0.expand(3, 5))
    torch.testing.assert_close(h[:, -1], expected, rtol=0, atol=0)


def test_padding_on_either_side_leaves_real_positions_unchanged():
    check_padding_on_either_side(PRESET)


def test_tagger_learns_a_fixed_batch():
    torch.manual_seed(0)
    first, last = loss_after_training(build_model("pd_ssm", vocab_size=VOCAB, num_labels=LABELS, **PRESET.tiny))
    assert last < 0.5 * first, (first, last)


def test_state_size_per_layer_counts_the_complex_state():
    assert state_size_per_layer(PDSSMConfig(state_size=60, num_hidden_layers=2)) == [120, 120]


def test_docstring_examples():
    from hf_statetrack.models.pd_ssm import configuration_pd_ssm

    assert doctest.testmod(configuration_pd_ssm).failed == 0

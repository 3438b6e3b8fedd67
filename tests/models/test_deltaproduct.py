"""DeltaProduct: the interleaved chunked path equals the plain n_h-steps-per-token loop (float64, values and
gradients), n_h = 1 is DeltaNet, and the tagger keeps the model contract."""

import doctest
import functools

import pytest
import torch
import torch.nn.functional as F

from hf_statetrack.models import build_model
from hf_statetrack.models.deltanet import delta_rule_reference
from hf_statetrack.models.deltaproduct import delta_product_chunked, delta_product_reference

from .tiny import LABELS, VOCAB, assert_same_values_and_gradients, random_batch


def random_product_inputs(length, steps, dtype=torch.float64, seed=0, batch=2, heads=3, key_dim=5, value_dim=4):
    """q (B, T, H, K), k (B, T, n, H, K) unit length, v (B, T, n, H, V), beta (B, T, n, H) in (0, 2)."""
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, length, heads, key_dim, generator=gen, dtype=dtype)
    k = F.normalize(torch.randn(batch, length, steps, heads, key_dim, generator=gen, dtype=dtype), dim=-1)
    v = torch.randn(batch, length, steps, heads, value_dim, generator=gen, dtype=dtype)
    beta = 2 * torch.rand(batch, length, steps, heads, generator=gen, dtype=dtype)
    return [x.requires_grad_() for x in (q, k, v, beta)]


@pytest.mark.parametrize("steps, chunk_size", [(1, 4), (2, 4), (2, 7), (3, 16), (4, 64)])
def test_chunked_delta_product_matches_the_loop_in_float64(steps, chunk_size):
    inputs = random_product_inputs(13, steps)
    assert_same_values_and_gradients(delta_product_chunked(*inputs, chunk_size=chunk_size),
                                     delta_product_reference(*inputs), inputs, "q k v beta")


@torch.no_grad()
def test_one_step_per_token_is_the_delta_rule():
    q, k, v, beta = random_product_inputs(9, 1)
    expected = delta_rule_reference(q, k[:, :, 0], v[:, :, 0], beta[:, :, 0])
    torch.testing.assert_close(delta_product_reference(q, k, v, beta), expected, rtol=1e-12, atol=1e-12)


def test_two_reflections_make_a_rotation():
    """Why n_h = 2 matters: two beta = 2 steps with keys 60 degrees apart make a rotation by 120 degrees (a 3-cycle,
    of order 3), which no single step can: I - beta k k^T is symmetric, so its eigenvalues are real."""
    angle = torch.tensor(torch.pi / 3, dtype=torch.float64)
    keys = [torch.tensor([1.0, 0.0], dtype=torch.float64), torch.stack([angle.cos(), angle.sin()])]
    reflections = [torch.eye(2, dtype=torch.float64) - 2 * torch.outer(k, k) for k in keys]
    transition = reflections[0] @ reflections[1]
    assert torch.allclose(torch.linalg.matrix_power(transition, 3), torch.eye(2, dtype=torch.float64))
    assert not torch.allclose(transition, torch.eye(2, dtype=torch.float64))
    assert torch.linalg.eigvals(transition).imag.abs().min() > 0.8  # e^(+-2 pi i / 3)


@pytest.mark.parametrize("steps", [1, 3])
def test_tagger_forward_backward_and_heads_per_step(steps):
    torch.manual_seed(0)
    model = build_model("deltaproduct", vocab_size=VOCAB, num_labels=LABELS, num_layers=1, hidden_size=16,
                        num_heads=2, num_householder=steps).train()
    mixer = model.model.layers[0].mixer
    assert mixer.qkv_proj.out_features == (1 + 2 * steps) * 16 and mixer.beta_proj.out_features == steps * 2
    input_ids, labels = random_batch(batch=3, length=12)
    out = model(input_ids, labels=labels)
    scored = labels != -100
    torch.testing.assert_close(out.loss, F.cross_entropy(out.logits[scored], labels[scored]))
    out.loss.backward()
    assert all(p.grad is not None for p in model.parameters())


@torch.no_grad()
def test_padding_leaves_real_positions_unchanged():
    torch.manual_seed(0)
    model = build_model("deltaproduct", vocab_size=VOCAB, num_labels=LABELS, num_layers=1, hidden_size=16,
                        num_heads=2).eval()
    input_ids, _ = random_batch(batch=1, length=7)
    padded = torch.cat([torch.full((1, 3), 3), input_ids], dim=1)
    mask = torch.cat([torch.zeros(1, 3, dtype=torch.long), torch.ones_like(input_ids)], dim=1)
    torch.testing.assert_close(model(padded, attention_mask=mask).logits[:, 3:], model(input_ids).logits,
                               rtol=1e-4, atol=1e-5)


@pytest.mark.gpu
def test_fla_kernel_path_matches_the_reference_on_cuda():
    """With flash-linear-attention installed, DeltaProduct's sub-token sequence runs on fla's chunk_delta_rule
    (bfloat16); it stays within bf16 rounding of the float64 loop."""
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    pytest.importorskip("fla")
    from hf_statetrack.models.deltanet.modeling_deltanet import delta_rule

    q, k, v, beta = (x.detach().float().cuda() for x in random_product_inputs(64, 3, key_dim=16, value_dim=16))
    rule = functools.partial(delta_rule, chunk_size=16, use_fla_kernels=True)
    got = delta_product_chunked(q, k, v, beta, delta_rule=rule)
    expected = delta_product_reference(*(x.double() for x in (q, k, v, beta))).float()
    assert (got - expected).abs().max() < 3e-2 * expected.abs().max()


def test_docstring_examples():
    from hf_statetrack.models.deltaproduct import configuration_deltaproduct

    assert doctest.testmod(configuration_deltaproduct).failed == 0

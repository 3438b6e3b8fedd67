"""Mamba-3: the chunked path (rotated frame, state space duality) equals the complex-form loop (float64, values and
gradients), rotations give the periodic states that parity and counting modulo 5 need, the switches reach the
ablations, pads are identity steps, and the tagger learns."""

import doctest
import math

import pytest
import torch

from hf_statetrack.models import build_model
from hf_statetrack.models.mamba3 import PRESET, Mamba3Config, mamba3_chunked, mamba3_reference, state_size_per_layer
from hf_statetrack.models.mamba3.modeling_mamba3 import Mamba3Mixer, mamba3_kernel

from .tiny import LABELS, VOCAB, assert_same_values_and_gradients, check_padding_on_either_side, loss_after_training


def random_mamba3_inputs(length, angles=2, dtype=torch.float64, seed=0, batch=2, heads=3, size=6, channels=4):
    """q, k, x, rotation angles, log alpha <= 0 and the trapezoid's gamma = lambda dt, eta = (1 - lambda) dt."""
    gen = torch.Generator().manual_seed(seed)
    q, k = (torch.randn(batch, length, heads, size, generator=gen, dtype=dtype) for _ in range(2))
    x = torch.randn(batch, length, heads, channels, generator=gen, dtype=dtype)
    dt = torch.rand(batch, length, heads, generator=gen, dtype=dtype)
    turns = dt.unsqueeze(-1) * math.pi * torch.tanh(torch.randn(batch, length, heads, angles, generator=gen,
                                                                 dtype=dtype))
    lam = torch.rand(batch, length, heads, generator=gen, dtype=dtype)
    log_alpha = -dt * torch.rand(batch, length, heads, generator=gen, dtype=dtype)
    return [t.requires_grad_() for t in (q, k, x, turns, log_alpha, lam * dt, (1 - lam) * dt)]


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 16, 64])
@pytest.mark.parametrize("angles", [0, 1, 3])
def test_chunked_path_matches_the_complex_loop_in_float64(chunk_size, angles):
    """Values and gradients; no rotation, some dimensions rotating, all of them (3 pairs of 6)."""
    inputs = random_mamba3_inputs(20, angles)
    used = [(name, t) for name, t in zip("q k x angles log_alpha gamma eta".split(), inputs) if t.numel()]
    assert_same_values_and_gradients(mamba3_chunked(*inputs, chunk_size=chunk_size), mamba3_reference(*inputs),
                                     [t for _, t in used], " ".join(name for name, _ in used))


@torch.no_grad()
@pytest.mark.parametrize("turn, period", [(math.pi, 2), (2 * math.pi / 5, 5)])
def test_rotations_make_the_state_periodic(turn, period):
    """One input, then a rotation by `turn` per token and no decay: the readout repeats with the period of the
    rotation (2 for parity, 5 for counting modulo 5) at any length; a real decay in (0, 1) is monotone instead."""
    length = 200
    q = k = torch.zeros(1, length, 1, 2, dtype=torch.float64)
    q[..., 0] = k[..., 0] = 1
    x = torch.ones(1, length, 1, 1, dtype=torch.float64)
    gamma = torch.zeros(1, length, 1, dtype=torch.float64)
    gamma[:, 0] = 1
    zero = torch.zeros_like(gamma)
    y = mamba3_chunked(q, k, x, torch.full((1, length, 1, 1), turn, dtype=torch.float64), zero, gamma, zero)[0, :, 0, 0]
    torch.testing.assert_close(y[period:], y[:-period], rtol=0, atol=1e-9)
    assert (y[1:period] < 1 - 1e-6).all()  # the first return to the start is after `period` tokens


@pytest.mark.parametrize("use_rope, use_trapezoidal", [(True, False), (False, True)])
def test_ablations_drop_their_projections_and_still_train(use_rope, use_trapezoidal):
    torch.manual_seed(0)
    model = build_model("mamba3", vocab_size=VOCAB, num_labels=LABELS, **PRESET.tiny, use_rope=use_rope,
                        use_trapezoidal=use_trapezoidal)
    mixer = model.model.layers[0].mixer
    assert (mixer.sizes["omega"] > 0) == use_rope and (mixer.sizes["lambda"] > 0) == use_trapezoidal
    assert PRESET.eigenvalue_range(model.config) == ("complex, |z| < 1" if use_rope else "[0, 1]")
    first, last = loss_after_training(model)
    assert last < 0.5 * first, (first, last)


def test_euler_rule_is_the_trapezoid_with_lambda_one():
    """use_trapezoidal: false (Mamba-2's exponential Euler) = the trapezoid with lambda = 1, on the same weights."""
    torch.manual_seed(0)
    trapezoid = Mamba3Mixer(Mamba3Config(hidden_size=16, state_size=8, head_dim=8, chunk_size=4)).double()
    euler = Mamba3Mixer(Mamba3Config(hidden_size=16, state_size=8, head_dim=8, chunk_size=4,
                                     use_trapezoidal=False)).double()
    rows = dict(zip(trapezoid.sizes, trapezoid.in_proj.weight.split(list(trapezoid.sizes.values()))))
    euler.load_state_dict({**trapezoid.state_dict(),
                           "in_proj.weight": torch.cat([w for name, w in rows.items() if name != "lambda"])})
    start = list(trapezoid.sizes).index("lambda")
    start = sum(list(trapezoid.sizes.values())[:start])
    lambda_logits = torch.arange(start, start + trapezoid.sizes["lambda"])
    trapezoid.in_proj.register_forward_hook(lambda module, args, out: out.index_fill(-1, lambda_logits, 1e4))
    u, mask = torch.randn(2, 9, 16, dtype=torch.float64), torch.ones(2, 9, 1, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(trapezoid(u, mask), euler(u, mask), rtol=1e-12, atol=1e-12)


def test_padding_on_either_side_leaves_real_positions_unchanged():
    check_padding_on_either_side(PRESET)


def test_tagger_learns_a_fixed_batch():
    torch.manual_seed(0)
    first, last = loss_after_training(build_model("mamba3", vocab_size=VOCAB, num_labels=LABELS, **PRESET.tiny))
    assert last < 0.5 * first, (first, last)


def test_state_size_per_layer_counts_states_and_the_trapezoid_s_previous_input():
    config = Mamba3Config(hidden_size=32, state_size=16, head_dim=16, num_hidden_layers=2)  # 4 heads, inner 64
    assert state_size_per_layer(config) == [4 * 16 * 16 + 4 * 16 + 64] * 2
    assert state_size_per_layer(Mamba3Config(**{**config.to_dict(), "use_trapezoidal": False})) == [4 * 16 * 16] * 2


@pytest.mark.gpu
def test_mamba_ssm_kernel_matches_the_torch_path_on_cuda():
    """With mamba-ssm's Mamba-3 kernels installed, the mixer gives the same output through the Triton kernel
    (bfloat16) as through the float32 PyTorch path, on the same weights."""
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    if mamba3_kernel() is None:
        pytest.skip("needs mamba-ssm with Mamba-3 kernels")
    torch.manual_seed(0)
    mixer = Mamba3Mixer(Mamba3Config(hidden_size=64, state_size=32, head_dim=32, chunk_size=64)).cuda()
    u, mask = torch.randn(2, 150, 64, device="cuda"), torch.ones(2, 150, 1, device="cuda")
    mask[0, :7] = 0
    with torch.no_grad():
        kernel = mixer(u, mask)
        mixer.config.use_mamba_kernels = False
        torch_path = mixer(u, mask)
    assert (kernel - torch_path).abs().max() < 5e-2 * torch_path.abs().max()


def test_docstring_examples():
    from hf_statetrack.models.mamba3 import configuration_mamba3

    assert doctest.testmod(configuration_mamba3).failed == 0

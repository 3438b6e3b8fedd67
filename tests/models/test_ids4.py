"""IDS4: fast scan vs the plain loop, exact permutation tracking, padding, learning S3 where Mamba fails."""

import numpy as np
import pytest
import torch

import hf_statetrack
from hf_statetrack.models import build_model
from hf_statetrack.models.ids4 import PRESET, ids4_scan, ids4_scan_reference

from .tiny import check_padding_on_either_side

ids4_config = PRESET
IDS4ForTokenClassification = PRESET.model_class


def scan_inputs(length, sequences=6, state=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    f64 = dict(generator=g, dtype=torch.float64)
    A = (3 * torch.randn(length, sequences, state, state, **f64)).softmax(dim=-2)  # column-stochastic, as in IDS4
    return A, torch.randn(length, sequences, state, **f64), torch.randn(sequences, state, **f64)


@pytest.mark.parametrize("length", [1, 37, 300])
def test_scan_values_and_gradients_match_the_plain_loop_in_float64(length):
    inputs = scan_inputs(length)
    fast = [x.clone().requires_grad_() for x in inputs]
    slow = [x.clone().requires_grad_() for x in inputs]
    weights = torch.randn(length, 6, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    h_fast, h_slow = ids4_scan(*fast), ids4_scan_reference(*slow)
    (h_fast * weights).sum().backward()
    (h_slow * weights).sum().backward()
    torch.testing.assert_close(h_fast, h_slow, rtol=1e-12, atol=1e-12)
    for name, x, y in zip(["A", "b", "h0"], fast, slow):
        torch.testing.assert_close(x.grad, y.grad, rtol=1e-12, atol=1e-12, msg=f"gradient of {name}")


def test_softmax_transitions_track_permutations_exactly_over_long_sequences():
    """What the word problems need: sharp logits make A(x_t) a permutation matrix, and the state neither
    decays nor explodes: after 2000 steps it is the initial state permuted by the composed permutation."""
    g = torch.Generator().manual_seed(0)
    perms = torch.stack([torch.randperm(5, generator=g) for _ in range(2000)])  # (T, 5): slot j -> perm[j]
    P = torch.zeros(2000, 1, 5, 5, dtype=torch.float64)
    P[torch.arange(2000)[:, None], 0, perms, torch.arange(5)] = 1.0  # column j has its 1 in row perm[j]
    h0 = torch.arange(1.0, 6.0, dtype=torch.float64)[None]  # (1, 5): distinct slot values
    states = ids4_scan((40 * P).softmax(dim=-2), torch.zeros(2000, 1, 5, dtype=torch.float64), h0)
    where = torch.arange(5)
    for perm in perms:
        where = perm[where]  # slot that the content of initial slot j occupies now
    expected = torch.empty(5, dtype=torch.float64)
    expected[where] = h0[0]
    torch.testing.assert_close(states[-1, 0], expected, rtol=0, atol=1e-9)


def test_left_and_right_padding_leave_real_positions_exact():
    """Masked positions get the identity transition and no input, so pads on either side change nothing."""
    check_padding_on_either_side(PRESET)


def s3_batch(rng, batch, length):
    sample = hf_statetrack.get_task("S3").sample(rng, np.full(batch, length))
    return (torch.from_numpy(np.ascontiguousarray(a)).long() for a in (sample.input_ids, sample.labels))


def train_on_s3(model, steps=200, batch=32, length=16):
    """AdamW at lr 3e-3 on the S3 word problem at one length (labels at every prefix 1..length)."""
    rng = np.random.default_rng(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(steps):
        input_ids, labels = s3_batch(rng, batch, length)
        loss = model(input_ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


@torch.no_grad()
def s3_accuracy(model, length):
    input_ids, labels = s3_batch(np.random.default_rng(1), 256, length)
    return (model(input_ids).logits.argmax(-1) == labels).float().mean().item()




def test_one_layer_ids4_learns_s3_and_extrapolates_where_one_layer_mamba_fails(one_thread):
    """Same budget (200 steps of 32 sequences of length 16): IDS4 is exact at 16 and >= 99% at 32 (never
    trained); 1-layer Mamba cannot represent S3's sign (parity) with decays in (0, 1) and stays far below.
    Seeds 0-5: IDS4 1.00 at 16, 0.999-1.00 at 32, 0.96-1.00 at 64; Mamba 0.33 at 16 (seed 0)."""
    torch.manual_seed(0)
    ids4 = train_on_s3(IDS4ForTokenClassification(ids4_config(vocab_size=6, num_labels=6, num_layers=1)))
    assert s3_accuracy(ids4, 16) == 1.0
    assert s3_accuracy(ids4, 32) >= 0.99
    torch.manual_seed(0)
    mamba = train_on_s3(build_model("mamba", vocab_size=6, num_labels=6, num_layers=1, hidden_size=64))
    assert s3_accuracy(mamba, 16) < 0.6

"""DeltaNet: the chunked delta rule equals the plain loop, the tagger keeps the model contract, and beta in (0, 2)
learns parity beyond the training lengths where beta in (0, 1) does not (Grazzi et al. 2024)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForTokenClassification

import hf_statetrack
from hf_statetrack.models.deltanet import PRESET, delta_rule_chunked, delta_rule_reference

from .tiny import LABELS, VOCAB, assert_same_values_and_gradients, random_batch

DELTANET = PRESET


def tiny_deltanet(seed=0, **knobs):
    torch.manual_seed(seed)
    config = DELTANET(vocab_size=VOCAB, num_labels=LABELS, **{"num_layers": 2, "hidden_size": 16, "num_heads": 2,
                                                                "chunk_size": 4, **knobs})
    return PRESET.model_class(config).eval()


def random_delta_inputs(length, dtype, seed=0, batch=2, heads=3, key_dim=5, value_dim=4):
    """q, k (unit length), v and beta in (0, 2), as leaves that collect gradients."""
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, length, heads, key_dim, generator=gen, dtype=dtype)
    k = F.normalize(torch.randn(batch, length, heads, key_dim, generator=gen, dtype=dtype), dim=-1)
    v = torch.randn(batch, length, heads, value_dim, generator=gen, dtype=dtype)
    beta = 2 * torch.rand(batch, length, heads, generator=gen, dtype=dtype)
    return [x.requires_grad_() for x in (q, k, v, beta)]


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 16, 64])
def test_chunked_delta_rule_matches_the_loop_in_float64(chunk_size):
    """Values and gradients, with chunks that do and do not divide the length (20)."""
    inputs = random_delta_inputs(20, torch.float64)
    assert_same_values_and_gradients(delta_rule_chunked(*inputs, chunk_size=chunk_size),
                                     delta_rule_reference(*inputs), inputs, "q k v beta")


@torch.no_grad()
def test_chunked_delta_rule_is_accurate_in_float32_over_long_sequences():
    """beta near 2 (reflections) over 512 steps: float32 chunks err by < 1e-5 of the output scale against the
    float64 loop (measured 1-2e-6 with chunks of 16, 3-4e-6 with 64; the float32 loop itself: 6e-7 to 1e-6)."""
    q, k, v, beta = random_delta_inputs(512, torch.float64, seed=1)
    beta = (1.9 + 0.1 * beta / 2).detach()  # in (1.9, 2)
    expected = delta_rule_reference(q, k, v, beta)
    got = delta_rule_chunked(q.float(), k.float(), v.float(), beta.float())  # chunks of 16
    assert got.dtype == torch.float32
    assert (got.double() - expected).abs().max() < 1e-5 * expected.abs().max()


@pytest.mark.parametrize("negative", [True, False])
def test_beta_range_follows_allow_negative_eigenvalues(negative):
    model = tiny_deltanet(allow_negative_eigenvalues=negative)
    mixer = model.model.layers[0].mixer
    torch.nn.init.normal_(mixer.beta_proj.weight, std=100.0)  # drive the sigmoid to both ends
    x = torch.randn(4, 9, 16)
    mask = torch.ones(4, 9, 1)
    mask[0, :3] = 0
    beta = mixer.step_sizes(x, mask)  # (B, T, 1, H)
    top = 2.0 if negative else 1.0
    assert beta.max() > 0.99 * top and beta.max() <= top and beta[1:].min() < 0.01 * top
    assert (beta[0, :3] == 0).all()  # padded positions do not touch the state


def test_forward_backward_and_loss():
    model = tiny_deltanet().train()
    input_ids, labels = random_batch(batch=3, length=12)
    out = model(input_ids, labels=labels, output_hidden_states=True)
    assert out.logits.shape == (3, 12, LABELS)
    assert len(out.hidden_states) == 3 and out.hidden_states[-1].shape == (3, 12, 16)
    scored = labels != -100
    torch.testing.assert_close(out.loss, F.cross_entropy(out.logits[scored], labels[scored]))
    out.loss.backward()
    assert all(p.grad is not None for p in model.parameters())


@torch.no_grad()
@pytest.mark.parametrize("side", ["left", "right"])
def test_padding_on_either_side_leaves_real_positions_unchanged(side):
    model = tiny_deltanet()
    input_ids, _ = random_batch(batch=1, length=7)
    alone = model(input_ids).logits  # (1, 7, L)
    pads = torch.full((1, 5), 3)
    padded = torch.cat([pads, input_ids] if side == "left" else [input_ids, pads], dim=1)  # (1, 12)
    mask = torch.cat([torch.zeros_like(pads), torch.ones_like(input_ids)] if side == "left"
                     else [torch.ones_like(input_ids), torch.zeros_like(pads)], dim=1)
    real = slice(5, None) if side == "left" else slice(None, 7)
    torch.testing.assert_close(model(padded, attention_mask=mask).logits[:, real], alone, rtol=1e-4, atol=1e-5)


@torch.no_grad()
def test_later_tokens_do_not_change_earlier_logits():
    model = tiny_deltanet()
    input_ids, _ = random_batch(batch=2, length=12)
    changed = input_ids.clone()
    changed[:, 6] = (changed[:, 6] + 1) % VOCAB
    before, after = model(input_ids).logits, model(changed).logits
    torch.testing.assert_close(after[:, :6], before[:, :6])
    assert not torch.allclose(after[:, 6], before[:, 6])


@torch.no_grad()
def test_save_and_reload_gives_identical_logits(tmp_path):
    model = tiny_deltanet(allow_negative_eigenvalues=False, use_output_gate=False)
    input_ids, _ = random_batch()
    model.save_pretrained(tmp_path)
    assert {"modeling_deltanet.py", "chunked.py", "configuration_deltanet.py"} <= {p.name for p in tmp_path.iterdir()}
    loaded = AutoModelForTokenClassification.from_pretrained(tmp_path).eval()
    assert type(loaded) is type(model) and loaded.config.allow_negative_eigenvalues is False
    torch.testing.assert_close(loaded(input_ids).logits, model(input_ids).logits, rtol=0, atol=0)


def parity_accuracy(allow_negative_eigenvalues: bool, test_length: int, seed: int = 0) -> float:
    """A 1-layer DeltaNet trained 150 steps on Z2 (running parity) of lengths 2..16, scored at test_length."""
    task = hf_statetrack.get_task("Z2")

    def sample(rng, n, length):
        batch = task.sample(rng, np.full(n, length))
        return [torch.from_numpy(np.ascontiguousarray(a)).long() for a in (batch.input_ids, batch.labels)]

    torch.manual_seed(seed)
    config = DELTANET(vocab_size=2, num_labels=2, num_layers=1, hidden_size=16, use_short_conv=False,
                      allow_negative_eigenvalues=allow_negative_eigenvalues)
    model = PRESET.model_class(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    for _ in range(150):
        input_ids, labels = sample(rng, 64, int(rng.integers(2, 17)))
        loss = model(input_ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    input_ids, labels = sample(np.random.default_rng(1), 128, test_length)
    with torch.no_grad():
        predictions = model.eval()(input_ids).logits.argmax(-1)  # (128, test_length)
    return (predictions == labels).float().mean().item()


def test_negative_eigenvalues_learn_parity_beyond_training_lengths(one_thread):
    """Trained on lengths <= 16, scored at 64, over seeds 0-4 (one seed's outcome depends on the CPU's float
    kernels: seed 0 gave 0.995 on one machine, 0.878 on another; one seed gave 0.77 on a third). Measured
    2026-12-01: beta in (0, 2) 0.878 / 0.97 / 1.0 / 1.0 / 1.0, beta in (0, 1) 0.519-0.523, chance (a 1-layer
    Mamba: 0.55)."""
    with_negative = [parity_accuracy(True, test_length=64, seed=seed) for seed in range(5)]
    without = [parity_accuracy(False, test_length=64, seed=seed) for seed in range(5)]
    # One seed's worst case moves with the CPU (0.77 seen on a third machine), so the median carries the claim
    # and every seed only has to beat every seed of the (0, 1) model clearly.
    assert np.median(with_negative) > 0.95, with_negative
    assert max(without) < 0.6, without
    assert min(with_negative) > max(without) + 0.1, (with_negative, without)

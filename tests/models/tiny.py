"""Tiny models of every preset (each preset's `tiny` knobs), so that each model test runs in well under a second."""

import torch

from hf_statetrack.models import PRESETS, build_model

VOCAB, LABELS = 7, 5

TINY = {name: PRESETS.lookup(name).tiny for name in PRESETS.names()}
# presets whose checkpoints carry their own modeling code and load without hf_statetrack
REMOTE_CODE = [name for name in PRESETS.names() if PRESETS.lookup(name).loads_without_package]


def tiny_model(preset: str, seed: int = 0):
    torch.manual_seed(seed)
    return build_model(preset, vocab_size=VOCAB, num_labels=LABELS, **TINY[preset]).eval()


def random_batch(batch: int = 3, length: int = 12, seed: int = 0):
    """(input_ids, labels) of shape (batch, length); about a quarter of the labels are -100."""
    gen = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(0, VOCAB, (batch, length), generator=gen)
    labels = torch.randint(0, LABELS, (batch, length), generator=gen)
    labels[torch.rand(batch, length, generator=gen) < 0.25] = -100
    return input_ids, labels


def assert_same_values_and_gradients(got, expected, inputs, names: str, rtol=1e-10, grad_rtol=1e-9):
    """A fast path against its float64 reference: the outputs, then the gradient of every input (names:
    "q k v beta") under the same random output gradient."""
    torch.testing.assert_close(got, expected, rtol=rtol, atol=rtol)
    grad_out = torch.randn_like(expected)
    expected_grads = torch.autograd.grad(expected, inputs, grad_out)
    for name, g, e in zip(names.split(), torch.autograd.grad(got, inputs, grad_out), expected_grads):
        torch.testing.assert_close(g, e, rtol=grad_rtol, atol=grad_rtol, msg=f"gradient of {name}")


@torch.no_grad()
def check_padding_on_either_side(preset):
    """For presets that take left padding too: pads before or after a row leave its logits unchanged."""
    torch.manual_seed(0)
    model = preset.model_class(preset(vocab_size=VOCAB, num_labels=LABELS, **preset.tiny)).eval()
    ids = torch.randint(0, VOCAB, (1, 6))
    alone = model(ids).logits[0]  # (6, LABELS)
    pads = torch.zeros(1, 3, dtype=torch.long)
    left = model(torch.cat([pads, ids], 1), attention_mask=torch.cat([pads, torch.ones_like(ids)], 1)).logits[0]
    right = model(torch.cat([ids, pads], 1), attention_mask=torch.cat([torch.ones_like(ids), pads], 1)).logits[0]
    torch.testing.assert_close(left[3:], alone, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(right[:6], alone, rtol=1e-5, atol=1e-6)


def loss_after_training(model, steps: int = 30, lr: float = 1e-2) -> tuple[float, float]:
    """(first, last) loss of `steps` AdamW steps on one fixed random batch: a model that learns fits it."""
    input_ids, labels = random_batch(batch=4, length=12, seed=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = model.train()(input_ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses[0], losses[-1]

"""Tiny sizes for every preset, so that each model test runs in well under a second on CPU."""

import torch

from hf_statetrack.models import build_model

VOCAB, LABELS = 7, 5

TINY = {
    "transformer": dict(num_layers=2, hidden_size=16, num_attention_heads=2),
    "gpt2": dict(num_layers=2, hidden_size=16, num_attention_heads=2, n_positions=32),
    "mamba": dict(num_layers=2, hidden_size=16, state_size=4),
    "mamba2": dict(num_layers=2, hidden_size=16, state_size=4, head_dim=8, chunk_size=8),
    "lstm": dict(num_layers=2, hidden_size=16),
    "gru": dict(num_layers=2, hidden_size=16),
    "rnn": dict(num_layers=2, hidden_size=16),
    "mamba_negeig": dict(num_layers=2, hidden_size=16, state_size=4),
    "ids4": dict(num_layers=2, hidden_size=16, num_heads=2, state_size=4),
    "deltanet": dict(num_layers=2, hidden_size=16, num_heads=2, chunk_size=4),
    "deltaproduct": dict(num_layers=2, hidden_size=16, num_heads=2, num_householder=2, chunk_size=4),
    "gated_deltanet": dict(num_layers=2, hidden_size=16, num_heads=2, chunk_size=4),
}
RECURRENT = ["lstm", "gru", "rnn"]
# presets whose checkpoints carry their own modeling code
REMOTE_CODE = [*RECURRENT, "mamba", "mamba2", "ids4", "deltanet"]


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

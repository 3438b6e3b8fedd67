"""A model that should learn does: a 1-layer LSTM solves the S3 word problem (an RNN solves every group with one
layer, Merrill, Petty & Sabharwal 2024)."""

import numpy as np
import torch

import hf_statetrack
from hf_statetrack.models import build_model


def as_tensors(batch):
    return (torch.tensor(batch.input_ids, dtype=torch.long),
            torch.tensor(np.ascontiguousarray(batch.labels), dtype=torch.long))


def test_one_layer_lstm_learns_s3_word_problem():
    task = hf_statetrack.get_task("S3")
    train_rng, test_rng = np.random.default_rng(0), np.random.default_rng(1)
    torch.manual_seed(0)
    model = build_model("lstm", vocab_size=len(task.vocab), num_labels=len(task.label_vocab),
                        num_layers=1, hidden_size=64)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(300):
        input_ids, labels = as_tensors(task.sample(train_rng, np.full(64, 16)))
        loss = model(input_ids, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    input_ids, labels = as_tensors(task.sample(test_rng, np.full(512, 16)))  # labels at every prefix 1..16
    with torch.no_grad():
        predictions = model.eval()(input_ids).logits.argmax(-1)  # (512, 16)
    assert (predictions == labels).float().mean().item() == 1.0

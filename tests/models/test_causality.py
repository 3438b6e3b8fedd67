"""Taggers are causal: the logits at position t depend on tokens 1..t only, never on later tokens or pads."""

import pytest
import torch

from hf_statetrack.models import list_presets
from hf_statetrack.models.recurrent import CELLS

from .tiny import random_batch, tiny_model

PRESETS = list_presets()


@torch.no_grad()
@pytest.mark.parametrize("preset", PRESETS)
def test_right_padding_leaves_real_positions_unchanged(preset):
    model = tiny_model(preset)
    input_ids, _ = random_batch(batch=2, length=12)
    alone = model(input_ids[1:, :7]).logits  # (1, 7, L): row 1 on its own, 7 tokens
    padded_ids = input_ids.clone()
    padded_ids[1, 7:] = 0
    mask = torch.ones_like(padded_ids)
    mask[1, 7:] = 0
    padded = model(padded_ids, attention_mask=mask).logits  # (2, 12, L): row 1 right-padded to 12
    torch.testing.assert_close(padded[1, :7], alone[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(padded[0], model(input_ids[:1]).logits[0], rtol=1e-4, atol=1e-5)


@torch.no_grad()
@pytest.mark.parametrize("preset", PRESETS)
def test_later_tokens_do_not_change_earlier_logits(preset):
    model = tiny_model(preset)
    input_ids, _ = random_batch(batch=2, length=12)
    changed = input_ids.clone()
    changed[:, 6] = (changed[:, 6] + 1) % model.config.vocab_size
    before, after = model(input_ids).logits, model(changed).logits
    torch.testing.assert_close(after[:, :6], before[:, :6], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(after[:, 6], before[:, 6])  # the model does read its input


@pytest.mark.parametrize("preset", CELLS)
def test_recurrent_taggers_reject_left_padding(preset):
    input_ids, _ = random_batch(batch=2, length=5)
    mask = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])
    with pytest.raises(ValueError, match="right padding only"):
        tiny_model(preset)(input_ids, attention_mask=mask)

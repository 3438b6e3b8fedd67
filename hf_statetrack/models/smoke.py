"""One cheap forward of the model a config describes, run while the config is validated: whatever
transformers' init or forward refuses becomes one line before any data is generated, never a traceback
after it (RWKV with one layer divides by ``num_hidden_layers - 1``; CodeGen's and GPT-J's rotary width does
not fit the heads; a base model that needs more inputs than ``input_ids`` or returns no
``last_hidden_state``).

The model is first built on the meta device (no memory, whatever its size), then, if it is small enough to
cost milliseconds, built for real and run on 2 rows of 8 tokens.

>>> smoke_test(lambda: torch.nn.Linear(4, 3), "a linear map", "", forward=False)  # its parameters
15
>>> smoke_test(lambda: 1 / 0, "the model", "pick other sizes")
Traceback (most recent call last):
...
hf_statetrack.core.errors.StateTrackError: the model cannot be built with these settings (ZeroDivisionError: \
division by zero); pick other sizes
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..core.errors import StateTrackError

# Parameters up to which the forward runs at config time (a few hundred ms); larger models are only built on
# the meta device here, and meet their first forward in training.
FORWARD_BUDGET = 30_000_000


def summary(err: BaseException) -> str:
    """``ZeroDivisionError: division by zero`` on one line, cut to a readable length."""
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:240]}" if text else type(err).__name__


def smoke_test(build: Callable[[], torch.nn.Module], what: str, fix: str, *, vocab_size: int = 2,
               forward: bool = True) -> int:
    """Build with `build()` on the meta device, then (small models) for real and run one forward of input ids
    below `vocab_size`; any exception -> StateTrackError naming `what`, the exception and `fix`. Returns the
    number of parameters."""
    try:
        with torch.device("meta"):
            size = sum(p.numel() for p in build().parameters())
    except StateTrackError:
        raise
    except Exception as err:  # whatever the init raises is the user's settings meeting transformers
        raise StateTrackError(f"{what} cannot be built with these settings ({summary(err)}); {fix}") from None
    if not forward or size > FORWARD_BUDGET:
        return size
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():  # the seed draws the real weights later; no CUDA
            model = build().eval()
            input_ids = torch.arange(16).reshape(2, 8) % vocab_size  # (B, T)
            logits = model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids)).logits  # (B, T, labels)
        if logits.shape[:2] != input_ids.shape:
            raise ValueError(f"logits of shape {tuple(logits.shape)} for input ids of shape (2, 8)")
    except StateTrackError:
        raise
    except Exception as err:
        raise StateTrackError(f"{what} fails its first forward with these settings ({summary(err)}); {fix}") from None
    return size

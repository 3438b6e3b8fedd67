"""Loading checkpoints, with one-line errors: any causal LM (Hub id or folder) with its tokenizer, the
metadata `statetrack train` stores in a token checkpoint, and the symbol maps that let a checkpoint be
scored on another task with the same symbols.

A leaf: in-context evaluation, checkpoint evaluation, fine-tuning and probing import it; it imports none
of them. The dtype follows the device: bfloat16 on a
GPU that supports it, float32 otherwise (CPU bf16 matmuls are slow and lossy for tiny models).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .. import models  # noqa: F401  (our architectures for Auto loading; the fast Mamba scan)
from ..core.errors import StateTrackError
from ..core.imports import import_modules
from ..tasks import IGNORE


def default_dtype() -> torch.dtype:
    return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32


def describe_failure(path: str, err: Exception) -> StateTrackError:
    if isinstance(err, OSError) and not (Path(path) / "config.json").is_file():
        return StateTrackError(f"model {path}: no checkpoint folder of that name, and it could not be loaded "
                               f"from the Hub ({str(err).splitlines()[0][:160]}); give a folder with config.json "
                               f"or a Hub id (set HF_HUB_OFFLINE=0 to download)")
    return StateTrackError(f"model {path}: cannot be loaded as a causal language model: {str(err).splitlines()[0]}")


def default_output_dir(model_path: str, task_name: str, command: str) -> str:
    """<folder>/<command>-<task> for a checkpoint folder, outputs/<command>/<name>-<task> for a Hub id."""
    if Path(model_path).is_dir():
        return str(Path(model_path) / f"{command}-{task_name}")
    return str(Path("outputs") / command / f"{Path(model_path).name}-{task_name}")


def load_model_config(path: str):
    """The checkpoint's config, after importing the modules it names (`imports`: the user's package that registers
    its architecture), so that a missing one is one line here rather than a traceback at load."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(path)
    except (OSError, ValueError) as err:
        raise describe_failure(path, err) from None
    import_modules(getattr(config, "imports", None) or [], f"model {path}: its config's imports")
    return config


def position_limit(path: str) -> int | None:
    """The positions a statetrack token checkpoint can read: the rows of a learned position table (GPT-2's
    wpe, BERT's position_embeddings), None where positions are computed (RoPE, recurrences). Built on the meta
    device from the config: no weights are read."""
    from transformers import AutoModelForTokenClassification

    config = load_model_config(path)
    configs = [config, *([config.backbone_config()] if hasattr(config, "backbone_config") else [])]
    sizes = {getattr(c, k, None) for c in configs for k in ("n_positions", "max_position_embeddings")} - {None}
    if not sizes:
        return None
    with torch.device("meta"):
        model = AutoModelForTokenClassification.from_config(config)
    tables = [m.num_embeddings for m in model.modules()
              if isinstance(m, torch.nn.Embedding) and m.num_embeddings in sizes]
    return min(tables) if tables else None


def longest_row(task, lengths: list[tuple[int, int]]) -> int:
    """Positions of the widest row at the longest length (rows of some tasks add output positions)."""
    hi = max(h for _, h in lengths)
    support = task.length_support(hi, hi)
    if not len(support):
        return hi
    return int(task.sample(np.random.default_rng(0), support[:1]).seq_lens.max())


def check_checkpoint_positions(path: str, task, lengths: list, what: str) -> None:
    """Before any data: every test row fits the checkpoint's learned positions (else an IndexError mid-run)."""
    limit = position_limit(path)
    if limit is None:
        return
    ranges = [(x, x) if isinstance(x, int) else tuple(x) for x in lengths]
    width = longest_row(task, ranges)
    if width > limit:
        raise StateTrackError(f"{what}: {path} reads at most {limit} positions (a learned position table), but "
                              f"rows at length {max(h for _, h in ranges)} have {width}; shorten the lengths to "
                              f"fit {limit} positions")


def statetrack_metadata(path: str) -> dict | None:
    """What `statetrack train` stored in a checkpoint's config (None for any other checkpoint)."""
    return getattr(load_model_config(path), "statetrack", None) or None


def load_tokenizer(path: str, padding_side: str = "right"):
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, TypeError) as err:
        raise describe_failure(path, err) from None
    if not getattr(tokenizer, "is_fast", False):
        raise StateTrackError(f"model {path}: its tokenizer is not a fast (tokenizers) tokenizer; text tasks "
                              f"need character offsets to score exactly the answer")
    if tokenizer.pad_token is None:  # GPT-2, Pythia, Llama ship without one; padding is masked anyway
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.bos_token
    tokenizer.padding_side = padding_side
    return tokenizer


def load_causal_lm(path: str, dtype: torch.dtype | None = None):
    from transformers import AutoModelForCausalLM

    try:
        return AutoModelForCausalLM.from_pretrained(path, dtype=dtype or default_dtype())
    except (OSError, ValueError, KeyError) as err:
        raise describe_failure(path, err) from None


def symbol_maps(meta: dict, task) -> tuple[np.ndarray, np.ndarray]:
    """Task token id -> checkpoint token id, task label id -> checkpoint label id (by symbol)."""
    maps = []
    for what, mine, theirs in (("input symbol", task.vocab, meta["vocab"]),
                               ("label", task.label_vocab, meta["label_vocab"])):
        index = {s: i for i, s in enumerate(theirs)}
        missing = [s for s in mine if s not in index]
        if missing:
            raise StateTrackError(f"the checkpoint's vocabulary cannot express task {task.name}: its {what} "
                                  f"{missing[0]!r} is unknown to the checkpoint (trained on "
                                  f"{meta['generation']['name']}); evaluate on a task with the same symbols")
        maps.append(np.array([index[s] for s in mine]))
    return maps[0], maps[1]


def remap(dataset, token_map: np.ndarray, label_map: np.ndarray):
    def convert(row):
        labels = np.asarray(row["labels"])
        mapped = np.where(labels == IGNORE, IGNORE, label_map[np.maximum(labels, 0)])
        return {"input_ids": token_map[np.asarray(row["input_ids"])].tolist(), "labels": mapped.tolist()}
    return dataset.map(convert, desc="mapping symbols to checkpoint ids")

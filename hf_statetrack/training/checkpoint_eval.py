"""``statetrack eval``: score a saved checkpoint on any task lengths, with the pipeline's outputs.

Token and label ids are mapped by *symbol*, so a model trained on S5 can be scored on A5 (whose
elements are all permutations S5 knows) while a model whose vocabulary lacks the task's symbols is
refused with one clear line. Any other causal LM (a Hub id, a folder) is scored in context instead,
see `incontext`; `evaluate_model` picks the path.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForTokenClassification, Trainer, TrainingArguments

from ..data import load_dataset
from ..errors import StateTrackError
from ..tasks import IGNORE, get_task
from .collator import TaggingCollator
from .pipeline import argmax_logits, evaluate_split, test_label
from .pretrained import statetrack_metadata
from .report import environment_versions, write_results


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


def test_set(meta: dict | None, name: str, length, num_test: int, seed: int, task_params: dict):
    """Same task as training: deduplicated against the checkpoint's own train split. Otherwise (or for a
    model we did not train, `meta` None) fresh rows."""
    trained = meta["generation"] if meta else {}
    if name == trained.get("name") and task_params == trained.get("task_params"):
        keep = {k: trained[k] for k in ("train_length", "num_train", "num_validation", "seed")}
        return load_dataset(name, **keep, test_length=length, num_test=num_test, **task_params)["test"]
    return load_dataset(name, train_length=length, num_train=0, num_validation=0, num_test=num_test, seed=seed,
                        **task_params)["test"]


def evaluate_checkpoint(model_path: str, task_name: str, test_lengths: list, *, meta: dict, num_test: int = 1000,
                        output_dir: str | None = None, batch_size: int = 256, threshold: float = 0.9,
                        seed: int = 0, task_params: dict | None = None) -> dict:
    """`meta`: what `statetrack train` stored in the checkpoint's config (read before any weights)."""
    start = time.perf_counter()
    task_params = task_params if task_params is not None else (
        meta["generation"]["task_params"] if task_name == meta["generation"]["name"] else {})
    task = get_task(task_name, **task_params)
    task_params = task.params
    token_map, label_map = symbol_maps(meta, task)
    model = AutoModelForTokenClassification.from_pretrained(model_path)
    output_dir = output_dir or str(Path(model_path) / f"eval-{task_name}")
    with tempfile.TemporaryDirectory() as scratch:
        args = TrainingArguments(output_dir=scratch, per_device_eval_batch_size=batch_size, report_to="none",
                                 dataloader_pin_memory=torch.cuda.is_available())
        trainer = Trainer(model=model, args=args, data_collator=TaggingCollator(meta["pad_token_id"]),
                          preprocess_logits_for_metrics=argmax_logits)
        splits = {}
        for length in test_lengths:
            with args.main_process_first(desc="generating data"):
                data = remap(test_set(meta, task_name, length, num_test, seed, task_params), token_map, label_map)
            splits[test_label(length)] = evaluate_split(trainer, data, threshold)
    results = {
        "title": f"{task_name} · {Path(model_path).name}",
        "description": f"checkpoint {model_path} (trained on {meta['generation']['name']}) evaluated on "
                       f"{task_name}, {num_test} rows per test length",
        "model": str(model_path), "task": {"name": task_name, "task_params": task_params},
        "threshold": threshold, "seed": seed, "versions": environment_versions(), "splits": splits,
        "wall_time_s": time.perf_counter() - start,
    }
    if trainer.is_world_process_zero():
        write_results(output_dir, results)
    results["output_dir"] = output_dir
    return results


def evaluate_model(model_path: str, task_name: str, test_lengths: list, *, shots: int | None = None,
                   mode: str | None = None, max_choices: int = 128, log_samples: bool = False,
                   batch_size: int | None = None, **common) -> dict:
    """`statetrack eval`: our token checkpoints as above; any other causal LM (a Hub id, a folder, or one
    fine-tuned as text by our pipeline) in context, see `incontext`."""
    from .incontext import evaluate_incontext  # here: incontext.prompts imports test_set from this module

    meta = statetrack_metadata(model_path)
    if meta and meta.get("format", "token") == "token":
        if shots is not None or mode is not None or log_samples:
            raise StateTrackError(f"--shots, --mode and --log-samples are for causal LMs; {model_path} is a "
                                  f"statetrack token checkpoint, scored directly: drop them")
        return evaluate_checkpoint(model_path, task_name, test_lengths, meta=meta, batch_size=batch_size or 256,
                                   **common)
    return evaluate_incontext(model_path, task_name, test_lengths, meta=meta, shots=shots, mode=mode or "generate",
                              max_choices=max_choices, log_samples=log_samples, batch_size=batch_size or 16, **common)

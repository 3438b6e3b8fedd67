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

import torch
from transformers import AutoModelForTokenClassification, Trainer, TrainingArguments

from ..data import load_dataset
from ..data.params import parse_length
from ..reporting.results import Results
from ..runtime.checkpoints import check_checkpoint_positions, remap, symbol_maps
from ..runtime.tagging import TaggingCollator, argmax_logits, evaluate_split, test_label
from ..tasks import get_task


def test_set(meta: dict | None, name: str, length, num_test: int, seed: int, task_params: dict):
    """Same task as training: deduplicated against the checkpoint's own train split. Otherwise (or for a
    model we did not train, `meta` None) fresh rows."""
    trained = meta["generation"] if meta else {}
    same_task = name == trained.get("name") and task_params == trained.get("task_params")
    if same_task and trained.get("distinct"):  # train, validation and test partition one pool of distinct strings
        if list(parse_length(length, "test length")) == list(trained["test_length"]):
            rebuilt = {k: v for k, v in trained.items() if k not in ("name", "task_params")}
            test = load_dataset(name, **rebuilt, **task_params)["test"]  # the very split held out in training
            return test.select(range(min(num_test, len(test))))
        same_task = False  # another length: no string can be a training string
    if same_task:
        keep = {k: trained[k] for k in ("train_length", "num_train", "num_validation", "seed")}
        return load_dataset(name, **keep, test_length=length, num_test=num_test, **task_params)["test"]
    return load_dataset(name, train_length=length, num_train=0, num_validation=0, num_test=num_test, seed=seed,
                        **task_params)["test"]


def evaluate_checkpoint(model_path: str, task_name: str, test_lengths: list, *, meta: dict, num_test: int = 1000,
                        output_dir: str | None = None, batch_size: int = 256, threshold: float = 0.9,
                        seed: int = 0, task_params: dict | None = None) -> Results:
    """`meta`: what `statetrack train` stored in the checkpoint's config (read before any weights)."""
    start = time.perf_counter()
    task_params = task_params if task_params is not None else (
        meta["generation"]["task_params"] if task_name == meta["generation"]["name"] else {})
    task = get_task(task_name, **task_params)
    task_params = task.params
    token_map, label_map = symbol_maps(meta, task)
    check_checkpoint_positions(model_path, task, test_lengths, "eval")
    model = AutoModelForTokenClassification.from_pretrained(model_path)
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
    results = Results(
        kind="eval", title=f"{task_name} · {Path(model_path).name}",
        description=f"checkpoint {model_path} (trained on {meta['generation']['name']}) evaluated on {task_name}, "
                    f"{num_test} rows per test length",
        model=str(model_path), task={"name": task_name, "task_params": task_params}, seed=seed, threshold=threshold,
        splits=splits, settings={"trained_on": meta["generation"]}, world_size=trainer.args.world_size,
        wall_time_s=time.perf_counter() - start, output_dir=output_dir or str(Path(model_path) / f"eval-{task_name}"))
    if trainer.is_world_process_zero():
        results.write()
    return results

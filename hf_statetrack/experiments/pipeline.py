"""Train a model from scratch on a task with the transformers `Trainer`, then evaluate it by length.
`finetune.py` (a ``pretrained:`` model) shares the pieces below: splits, Trainer arguments, the results
record and saving; `run.run_experiment` picks one of the two.

The same code runs on one CPU, one GPU, or many processes under ``accelerate launch``: Trainer and
Accelerate own the loop, devices, precision and distribution; we provide data, model and metrics.
"""

from __future__ import annotations

import time

import torch
from transformers import Trainer, TrainerCallback, set_seed

from ..core.errors import StateTrackError
from ..data import load_dataset, parse_length
from ..data.loading import count_tokens
from ..reporting.results import Results
from ..runtime.tagging import TaggingCollator, argmax_logits, as_is, evaluate_split, test_label
from ..stats.scoring import SUMMARY_KEYS, compute_metrics
from .checks import warn_once
from .config import ExperimentConfig, resolved
from .rundir import FingerprintCheckpoints, claim_output_dir, fingerprint, resume_checkpoint


def scalar_metrics(prediction, to_scored=as_is) -> dict:
    """Trainer's in-training evaluation: the headline numbers only (lengths come with the final evaluation).
    `to_scored` turns Trainer's (predictions, label_ids) into what `compute_metrics` scores."""
    full = compute_metrics(*to_scored(prediction.predictions, prediction.label_ids))
    return {k: full[k] for k in SUMMARY_KEYS}


class StopAtTarget(TrainerCallback):
    """Stop once validation sequence accuracy reaches the target (the paper trains 'until 90% or budget')."""

    def __init__(self, target: float):
        self.target = target

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if metrics and metrics.get("eval_sequence_accuracy", 0.0) >= self.target:
            control.should_training_stop = True


def pad_token_id(task) -> int:
    """Token ids 0..|vocab|-1 are the task's symbols; one extra id pads."""
    return len(task.vocab)


def task_metadata(cfg: ExperimentConfig, task) -> dict:
    """Stored in the checkpoint's config, so `statetrack eval` knows the task and its vocabulary."""
    return {"generation": cfg.generation_params().as_dict(), "vocab": task.vocab, "label_vocab": task.label_vocab,
            "pad_token_id": pad_token_id(task)}


def extra_test_sets(cfg: ExperimentConfig) -> dict:
    """One test split per `evaluation.test_lengths` entry, each deduplicated against the same train split."""
    return {test_label(spec): extra_test_set(cfg.task, spec) for spec in cfg.evaluation.test_lengths or []}


def extra_test_set(task: dict, spec):
    """With distinct=True every split has the train length L, so a test length without L cannot meet a
    train row: its rows are drawn the ordinary way, with no train rows to generate."""
    if not task.get("distinct"):
        return load_dataset(**{**task, "test_length": spec})["test"]
    (lo, hi), train_length = parse_length(spec, "evaluation.test_lengths"), parse_length(task["train_length"], "")
    if lo <= train_length[0] <= hi:
        raise StateTrackError(f"evaluation.test_lengths entry {spec!r} includes the distinct train length "
                              f"{train_length[0]}; its held-out strings are the test split already, drop the entry")
    return load_dataset(**{**task, "test_length": spec, "distinct": False, "num_train": 0, "num_validation": 0})["test"]


def task_splits(cfg: ExperimentConfig) -> dict:
    """train, validation, test and one split per extra test length, as token datasets."""
    return {**load_dataset(**cfg.task), **extra_test_sets(cfg)}


def shared_trainer_kwargs(cfg: ExperimentConfig, args, splits: dict) -> dict:
    """What every pipeline gives Trainer: arguments, datasets and the stop-at-target callback."""
    callbacks = [FingerprintCheckpoints(fingerprint(cfg))]
    if cfg.evaluation.target_accuracy:
        callbacks.append(StopAtTarget(cfg.evaluation.target_accuracy))
    has_validation = len(splits["validation"]) > 0
    if not has_validation:
        args.eval_strategy = "no"
    return {"args": args, "train_dataset": splits["train"], "callbacks": callbacks,
            "eval_dataset": splits["validation"] if has_validation else None}


def make_trainer(cfg: ExperimentConfig, args, splits: dict, task) -> Trainer:
    model = cfg.model.build(vocab_size=len(task.vocab) + 1, num_labels=len(task.label_vocab))
    model.config.statetrack = task_metadata(cfg, task)
    return Trainer(model=model, data_collator=TaggingCollator(pad_token_id(task)), compute_metrics=scalar_metrics,
                   preprocess_logits_for_metrics=argmax_logits, **shared_trainer_kwargs(cfg, args, splits))


def prepare_run(cfg: ExperimentConfig):
    """Claim output_dir (then warn of test splits too small for bins of min_rows rows), pick the checkpoint to
    resume from, build TrainingArguments and seed everything;
    returns (arguments, checkpoint or None). Process 0 claims the folder before the others look at it."""
    args = cfg.training_arguments()
    with args.main_process_first(local=False, desc="checking output_dir"):
        if args.process_index == 0:
            claim_output_dir(cfg)
            warn_once(cfg.sparse_test_warnings())  # once the run is sure to start, before any data or training
        checkpoint = resume_checkpoint(cfg)
    set_seed(args.seed)
    return args, checkpoint


def experiment_results(cfg: ExperimentConfig, trainer: Trainer, train_output, description: str) -> Results:
    """The results record of a run before its final evaluation: settings (with the torch threads used, which
    are not part of the run's identity) and training statistics."""
    args, params, runtime = trainer.args, cfg.generation_params(), train_output.metrics["train_runtime"]
    return Results(
        kind="finetune" if cfg.model.pretrained else "train", title=f"{params.name} · {cfg.model.label()}",
        description=f"{description}; world size {args.world_size}", task=params.as_dict(), model=cfg.model.label(),
        seed=args.seed, threshold=cfg.evaluation.threshold,
        settings={"experiment": resolved(cfg.to_dict()), "torch_threads": torch.get_num_threads()},
        num_parameters=trainer.model.num_parameters(),
        trainable_parameters=trainer.model.num_parameters(only_trainable=True), world_size=args.world_size,
        state_size=cfg.model.state_size(trainer.model),
        train={"runtime_s": runtime, "epochs": trainer.state.epoch, "steps": trainer.state.global_step,
               "loss": train_output.training_loss,
               "tokens_per_s": count_tokens(trainer.train_dataset) * trainer.state.epoch / max(runtime, 1e-9)},
        output_dir=cfg.output_dir,
    )


def save_model(cfg: ExperimentConfig, trainer: Trainer) -> None:
    """The main process saves the model (and tokenizer, if any) as soon as training ends: whatever the final
    evaluation does, the trained model is kept."""
    if trainer.is_world_process_zero():
        trainer.save_model(cfg.output_dir)


def publish(cfg: ExperimentConfig, trainer: Trainer, results: Results, splits: dict, start: float,
            to_scored=as_is) -> Results:
    """Evaluate every split but train, then write results.json/.md/.png (the model is already saved, so a
    folder with results.json always holds its model). An evaluation failure is one line naming the kept model."""
    try:
        results.splits = {name: evaluate_split(trainer, ds, cfg.evaluation.threshold, to_scored,
                                               cfg.evaluation.binning())
                          for name, ds in splits.items() if name != "train" and len(ds)}
    except StateTrackError:
        raise
    except Exception as err:  # e.g. a test length beyond what the model can read
        raise StateTrackError(f"training finished and the model is saved in {cfg.output_dir}, but the final "
                              f"evaluation failed ({type(err).__name__}: {str(err).splitlines()[0][:200]}); "
                              f"evaluate it with statetrack eval --model {cfg.output_dir}") from None
    results.wall_time_s = time.perf_counter() - start
    if trainer.is_world_process_zero():
        results.write()
    return results


def train_from_scratch(cfg: ExperimentConfig) -> dict:
    """Train, save the model, evaluate on validation / test (and extra test lengths), write the outputs."""
    start = time.perf_counter()
    args, checkpoint = prepare_run(cfg)
    params = cfg.generation_params()
    with args.main_process_first(desc="generating data"):  # one process writes the cache, the others read it
        splits = task_splits(cfg)
    trainer = make_trainer(cfg, args, splits, params.task())
    train_output = trainer.train(resume_from_checkpoint=checkpoint)
    description = (f"trained from scratch on lengths {list(params.train_length)} ({params.num_train} rows, "
                   f"seed {params.seed})")
    results = experiment_results(cfg, trainer, train_output, description)
    save_model(cfg, trainer)
    return publish(cfg, trainer, results, splits, start)

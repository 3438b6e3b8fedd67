"""Fine-tune a pretrained causal LM (Hub id or folder) on a task written as text, with the same Trainer pipeline.

    accelerate launch -m hf_statetrack train eval_configs/finetune-pythia160m-s5.yaml

Each row becomes one line of text (`text.render`), e.g. S5 with ``answers: final``::

    text    34152 41523 43521 24135 = 21453
    scored                           ^^^^^^   the answer span " 21453" (its tokens), nothing else

The loss is next-token cross entropy on answer tokens only; the metrics score whole answers: an answer
is right iff every one of its tokens is the argmax given the gold prefix (= greedy decoding of that
answer). With ``lora:`` only adapters train, and they are merged into the weights before saving, so
``output_dir`` is a plain checkpoint: ``AutoModelForCausalLM.from_pretrained(output_dir)`` and
``AutoTokenizer.from_pretrained(output_dir)`` load it; ``config.statetrack`` records the task and format.
"""

from __future__ import annotations

import time
from functools import partial

import torch
import torch.nn.functional as F
from transformers import DataCollatorForSeq2Seq, Trainer

from ..core.errors import StateTrackError
from ..runtime.checkpoints import load_causal_lm, load_tokenizer
from ..tasks import IGNORE
from ..text import answer_correctness, text_view, tokenize_text
from .config import ExperimentConfig
from .pipeline import (
    experiment_results,
    prepare_run,
    publish,
    save_model,
    scalar_metrics,
    shared_trainer_kwargs,
    task_splits,
)

TEXT_COLUMNS = ("input_ids", "labels", "length")


def text_splits(splits: dict, task, answers: str, tokenizer) -> dict:
    """Token datasets -> text -> ``input_ids`` and answer-tagged ``labels`` (plus ``length``), per split."""
    out = {}
    for name, dataset in splits.items():
        text = text_view(dataset, task, answers)
        out[name] = text.map(tokenize_text, batched=True, fn_kwargs={"tokenizer": tokenizer},
                             remove_columns=[c for c in text.column_names if c not in TEXT_COLUMNS],
                             desc=f"tokenizing {name}")
    return out


def answer_loss(outputs, labels: torch.Tensor, num_items_in_batch=None, *, vocab_size: int) -> torch.Tensor:
    """Trainer's ``compute_loss_func``: causal-LM cross entropy on answer tokens only.

    ``labels`` (B, T) are answer-tagged (token id + vocab_size * answer index, IGNORE elsewhere); the token
    at t is predicted by the logits at t-1. The sum over answer tokens is divided by ``num_items_in_batch``,
    Trainer's count of ``labels[..., 1:] != -100`` over the whole accumulated (and, under DDP, gathered)
    batch, so gradient accumulation and several processes give the same loss as one big batch; without
    it (evaluation) the loss is the mean over the batch's answer tokens.
    """
    logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
    targets = torch.where(labels == IGNORE, IGNORE, labels % vocab_size)[:, 1:]  # (B, T-1)
    scored = targets != IGNORE
    picked = logits[:, :-1][scored].float()  # (answer tokens, V): only these logits are upcast
    total = F.cross_entropy(picked, targets[scored], reduction="sum")
    return total / (num_items_in_batch if num_items_in_batch is not None else scored.sum().clamp(min=1))


def shifted_argmax(logits, labels):
    """``preprocess_logits_for_metrics``: pred[:, t] = argmax logits[:, t-1] (pred[:, 0] = -1), aligned with labels."""
    if isinstance(logits, tuple):
        logits = logits[0]
    pred = logits.argmax(dim=-1)  # (B, T): the token after each position
    return torch.cat([torch.full_like(pred[:, :1], -1), pred[:, :-1]], dim=1)


def text_metadata(cfg: ExperimentConfig, task) -> dict:
    """Stored as ``config.statetrack``: how the task was written, so evaluation can write it the same way."""
    return {"format": "text", "answers": cfg.answers, "generation": cfg.generation_params().as_dict(),
            "vocab": task.vocab, "label_vocab": task.label_vocab}


def load_model(cfg: ExperimentConfig, args, task):
    """The pretrained LM in the configured dtype (float32 by default: Trainer's bf16 autocasts), LoRA-wrapped."""
    dtype = cfg.model.knobs.get("dtype", "float32")
    model = load_causal_lm(cfg.model.pretrained, dtype if dtype == "auto" else getattr(torch, dtype))
    model.config.statetrack = text_metadata(cfg, task)
    lora = cfg.model.lora()
    if lora is None:
        return model
    from peft import get_peft_model

    if args.activation_checkpointing:  # reentrant checkpointing needs inputs that require grad (frozen embeddings)
        model.enable_input_require_grads()
    try:
        return get_peft_model(model, lora)
    except ValueError as err:  # e.g. no default target modules for this architecture, or ones it cannot adapt
        raise StateTrackError(f"model.lora cannot adapt {cfg.model.pretrained}: {str(err).splitlines()[0]}") from None


def make_text_trainer(cfg: ExperimentConfig, args, splits: dict, tokenizer, model, to_answers) -> Trainer:
    return Trainer(model=model, processing_class=tokenizer,
                   data_collator=DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=IGNORE),
                   compute_loss_func=partial(answer_loss, vocab_size=len(tokenizer)),
                   compute_metrics=partial(scalar_metrics, to_scored=to_answers),
                   preprocess_logits_for_metrics=shifted_argmax, **shared_trainer_kwargs(cfg, args, splits))


def describe(cfg: ExperimentConfig) -> str:
    """"fine-tuned EleutherAI/pythia-160m (LoRA r=8) on S5 lengths [2, 16] (100000 rows, seed 0) written as text,
    answers=final"."""
    params, lora = cfg.generation_params(), cfg.model.lora()
    how = f"LoRA r={lora.r}" if lora else "full"
    return (f"fine-tuned {cfg.model.pretrained} ({how}) on {params.name} lengths {list(params.train_length)} "
            f"({params.num_train} rows, seed {params.seed}) written as text, answers={cfg.answers}")


def run_finetune(cfg: ExperimentConfig) -> dict:
    """Fine-tune, evaluate answers on validation / test (and extra test lengths), save a plain checkpoint."""
    start = time.perf_counter()
    args, checkpoint = prepare_run(cfg)
    task = cfg.generation_params().task()
    tokenizer = load_tokenizer(cfg.model.pretrained)
    with args.main_process_first(desc="writing the task as text"):  # one process writes the cache
        splits = text_splits(task_splits(cfg), task, cfg.answers, tokenizer)
    # Labels are tagged with len(tokenizer) (the model's embedding may be padded beyond it); scored per answer.
    to_answers = partial(answer_correctness, vocab_size=len(tokenizer))
    trainer = make_text_trainer(cfg, args, splits, tokenizer, load_model(cfg, args, task), to_answers)
    train_output = trainer.train(resume_from_checkpoint=checkpoint)
    results = experiment_results(cfg, trainer, train_output, describe(cfg))
    if cfg.model.lora() is not None:
        trainer.model = trainer.model.merge_and_unload()  # output_dir holds plain weights, no adapter files
    save_model(cfg, trainer)
    return publish(cfg, trainer, results, splits, start, to_answers)

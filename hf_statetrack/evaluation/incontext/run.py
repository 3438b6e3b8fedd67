"""In-context evaluation of any causal LM (a Hub id or a folder) on a task, by length.

Each query is K solved rows of the same length, one per line, then the row to solve (see
`prompts`). Two ways to read the model's answer:

* ``generate``: greedy decoding of as many tokens as the target has; the first line of the
  continuation must equal the target exactly (`exact_match`). With shots, one token more: the shots
  show that a line break ends an answer, so a model that goes on writing on the answer line is wrong.
  Without shots nothing shows where an answer ends (a checkpoint fine-tuned by `statetrack train`
  learned the answer tokens only), so only the target's tokens are read.
* ``choice``: every class of the task's final answer (its ``label_vocab``) is a candidate; the model
  picks the one whose tokens it gives the highest summed log-probability after the prompt. Only for
  rows whose target is one answer (tagging tasks, parity_check); S5 has 120 candidates, scored with
  the prompt's cache shared across them where the model allows (`choice`).

Commands (a folder is any `save_pretrained` output with a fast tokenizer, e.g. a Hub download)::

    hf download EleutherAI/pythia-14m --local-dir models/pythia-14m          # once, with internet
    statetrack eval --model models/pythia-14m --task S3 --test-length 2,4 --num-test 50 --log-samples  # CPU
    statetrack eval --model EleutherAI/pythia-160m --task S5 --test-length 2,4,8 --shots 5 --mode choice
    accelerate launch -m hf_statetrack eval --model meta-llama/Llama-3.2-1B --task S5 \\
        --test-length 2,4,8,16 --shots 5 --batch-size 64 --log-samples      # GPUs: queries split over them

Queries are sharded over processes (`accelerate launch`), results gathered, and the main process writes
results.json, results.md, accuracy_by_length.png (and samples.jsonl with ``--log-samples``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch
from accelerate import Accelerator
from accelerate.utils import gather_object
from tqdm.auto import tqdm

from ...core.errors import StateTrackError
from ...core.files import atomic_write
from ...reporting.results import Results
from ...runtime.checkpoints import default_output_dir, load_causal_lm, load_tokenizer
from ...runtime.tagging import test_label
from ...stats.scoring import compute_metrics
from ...tasks import get_task
from .choice import ChoiceScorer, model_inputs
from .prompts import Query, check_shots, make_queries

MODES = ("generate", "choice")


def first_line(text: str) -> str:
    """The response read from a continuation: up to the first newline, without surrounding spaces."""
    return text.split("\n", 1)[0].strip()


def exact_match(response: str, target: str) -> bool:
    """A generated continuation is right iff its first line, stripped, is exactly the target.

    The model may go on to a next line (a new row, as the shots did), but not within the answer line:

    >>> [exact_match(r, "21453") for r in ("21453", " 21453\\n12", "2145", "21453 1")]
    [True, True, False, False]
    """
    return first_line(response) == target


def generate_outcomes(model, tokenizer, batch: list[Query]) -> list[dict]:
    """Greedy continuations of a batch of prompts (left-padded), each cut to its own token budget."""
    enc = model_inputs(tokenizer([q.prompt for q in batch], return_tensors="pt", padding=True), model.device)
    budgets = [q.max_new_tokens for q in batch]
    out = model.generate(**enc, do_sample=False, max_new_tokens=max(budgets), pad_token_id=tokenizer.pad_token_id)
    new = out[:, enc["input_ids"].shape[1]:]  # (B, new tokens)
    # each row reads only its own budget, whatever the longest budget of its batch
    texts = [tokenizer.decode(row[:n], skip_special_tokens=True) for row, n in zip(new.tolist(), budgets)]
    return [{"response": first_line(t), "correct": exact_match(t, q.target)} for t, q in zip(texts, batch)]


def choice_outcomes(scorer: ChoiceScorer, batch: list[Query]) -> list[dict]:
    scores, candidates = scorer([q.prompt for q in batch]), scorer.candidates
    outcomes = []
    for row, q in zip(scores, batch):
        best = int(row.argmax())
        outcomes.append({"choice": candidates[best], "choice_logprob": float(row[best]),
                         "target_logprob": float(row[q.label]), "target_rank": int((row > row[q.label]).sum()),
                         "correct": best == q.label})
    return outcomes


def run_queries(model, tokenizer, queries: list[Query], mode: str, batch_size: int, candidates: list[str],
                accelerator: Accelerator) -> list[dict]:
    """Each process answers its share of the queries; every process gets all outcomes back, in order."""
    per_batch = batch_size if mode == "generate" else max(1, batch_size // len(candidates))
    scorer = ChoiceScorer(model, tokenizer, candidates, batch_size)
    outcomes = []
    with accelerator.split_between_processes(queries) as mine, torch.inference_mode():
        batches = [mine[i:i + per_batch] for i in range(0, len(mine), per_batch)]
        for batch in tqdm(batches, desc=f"{mode} ({len(queries)} queries)",
                          disable=not accelerator.is_local_main_process):
            outcomes += (generate_outcomes(model, tokenizer, batch) if mode == "generate" else
                         choice_outcomes(scorer, batch))
    return gather_object(outcomes)


def split_metrics(queries: list[Query], outcomes: list[dict], threshold: float) -> dict:
    """Per split, `compute_metrics` on one scored position per query: token = sequence = exact-match accuracy."""
    splits = {}
    for name in dict.fromkeys(q.split for q in queries):
        rows = [(q.length, o["correct"]) for q, o in zip(queries, outcomes) if q.split == name]
        wrong = np.array([[0 if correct else 1] for _, correct in rows])  # (N, 1); the label is 0
        splits[name] = compute_metrics(wrong, np.zeros_like(wrong), lengths=np.array([n for n, _ in rows]),
                                       threshold=threshold)
    return splits


def write_samples(path: Path, queries: list[Query], outcomes: list[dict]) -> None:
    rows = ({"split": q.split, "length": q.length, "prompt": q.prompt, "target": q.target, **o}
            for q, o in zip(queries, outcomes))
    atomic_write(path, "".join(json.dumps(row) + "\n" for row in rows))


def incontext_settings(meta: dict | None, task_name: str, shots, task_params) -> tuple[str, int, dict]:
    """(answers, shots, task params): a checkpoint fine-tuned by our pipeline is read as it was trained
    (its answers mode, its task params, no shots by default); any other model gets 3 shots, final answers."""
    if meta is None:
        return "final", 3 if shots is None else shots, task_params or {}
    same_task = task_name == meta["generation"]["name"]
    params = task_params if task_params is not None else (meta["generation"]["task_params"] if same_task else {})
    return meta["answers"], 0 if shots is None else shots, params


def evaluate_incontext(model_path: str, task_name: str, test_lengths: list, *, meta: dict | None = None,
                       shots: int | None = None, mode: str = "generate", max_choices: int = 128, num_test: int = 1000,
                       batch_size: int = 16, output_dir: str | None = None, threshold: float = 0.9, seed: int = 0,
                       task_params: dict | None = None, log_samples: bool = False) -> Results:
    """Score a causal LM on `task_name` at each test length; `meta` is what our fine-tuning stored, if any."""
    start = time.perf_counter()
    if mode not in MODES:
        raise StateTrackError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    answers, shots, task_params = incontext_settings(meta, task_name, shots, task_params)
    check_shots(shots)
    task = get_task(task_name, **task_params)
    candidates = task.label_vocab
    if mode == "choice" and len(candidates) > max_choices:
        raise StateTrackError(f"--mode choice: {task_name} has {len(candidates)} candidate answers, more than "
                              f"--max-choices {max_choices}; raise --max-choices or use --mode generate")
    accelerator = Accelerator()
    tokenizer = load_tokenizer(model_path, padding_side="left" if mode == "generate" else "right")
    with accelerator.main_process_first():  # one process writes the dataset cache, the others read it
        queries = [q for length in test_lengths
                   for q in make_queries(task, length, test_label(length), tokenizer=tokenizer, answers=answers,
                                         shots=shots, seed=seed, single=mode == "choice", num_test=num_test,
                                         meta=meta)]
    model = load_causal_lm(model_path).to(accelerator.device).eval()
    outcomes = run_queries(model, tokenizer, queries, mode, batch_size, candidates, accelerator)
    results = Results(
        kind="incontext", title=f"{task_name} · {Path(model_path).name} · {shots}-shot {mode}",
        description=f"causal LM {model_path} evaluated in context on {task_name} ({shots} shots, {mode}, "
                    f"answers {answers}), {num_test} rows per test length",
        model=str(model_path), task={"name": task_name, "task_params": task.params}, seed=seed, threshold=threshold,
        settings={"mode": mode, "shots": shots, "answers": answers, "candidates": len(candidates)},
        splits=split_metrics(queries, outcomes, threshold), world_size=accelerator.num_processes,
        wall_time_s=time.perf_counter() - start,
        output_dir=output_dir or default_output_dir(model_path, task_name, "eval"))
    if accelerator.is_main_process:
        results.write()
        if log_samples:
            write_samples(Path(results.output_dir) / "samples.jsonl", queries, outcomes)
    return results

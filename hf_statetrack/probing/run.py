"""``statetrack probe``: linear probes that decode the task's state from every layer of a frozen model.

    # CPU: a checkpoint of `statetrack train`, probed at every scored position of its token inputs
    statetrack probe --model outputs/s5-lstm --task S5 --train-length 2-16 --num-train 2000 --num-test 500
    # GPU: a Hub causal LM, reading the task as text (outputs/probe/pythia-160m-S5/)
    statetrack probe --model EleutherAI/pythia-160m --task S5 --train-length 2-16 --batch-size 64

For each layer (0 = embeddings, l = output of block l) a multinomial logistic regression is fitted on
the features of the train split and scored on the test split, by length and by answer position.
Two controls tell state the model computed from what the probe or the architecture gives for free:
``random_init`` (the same architecture freshly initialised with the seed, probed identically; its
embeddings already know the state at the first position, which is the input) and ``shuffled`` (the
model's features with the train labels permuted: what the probe memorises). A shuffled probe is near
chance on average, but when the features fall into clean clusters each cluster takes one random
label, so its accuracy moves by about one class frequency from seed to seed.

Probe positions. Token checkpoints (`statetrack train`): every scored position, class = the label.
Any other checkpoint reads the task as text (`text_view`, with the ``answers`` it was fine-tuned with,
else the task's default) and is probed, for every scored position, at the last token of the text that
fixes its state: the end of its input symbol (for transduction outputs, the token before the answer).
So a word problem is written "34152 52134 53214 = 52413" and the state after each permutation is
probed at that permutation's last token, with no earlier state written in the text.

Features are float32 on disk in a temporary folder (``TMPDIR``), (layers, positions, hidden) per split,
e.g. pythia-160m with 2000 rows of lengths 2-16: 13 x 18k x 768 x 4 B = 0.7 GB. Under ``accelerate
launch`` every process does the same work and the main one writes: run it as one process.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from accelerate import Accelerator
from tqdm.auto import tqdm
from transformers import AutoModelForCausalLM, AutoModelForTokenClassification, PreTrainedModel, set_seed

from ..core.errors import StateTrackError
from ..core.files import output_folder
from ..data import load_dataset
from ..data.params import DEFAULT_LENGTH, GenerationParams
from ..reporting.results import Results, check_results_folder
from ..runtime.checkpoints import (
    check_checkpoint_positions,
    default_output_dir,
    load_causal_lm,
    load_tokenizer,
    statetrack_metadata,
    symbol_maps,
)
from ..tasks import get_task
from ..text import default_answers
from .features import collect_features, feature_labels, text_rows, token_rows
from .fit import fit_probe
from .report import layer_names, summarise, write_probe_results

CONTROLS = ("random_init", "shuffled")
MIN_TRAIN_ROWS = 10
PROBE_SPLITS = ("train", "test")


@dataclass
class Subject:
    """How to read a checkpoint: its format, how task rows become its inputs, and the id that pads them."""

    path: str
    format: str  # "token" (statetrack train) or "text" (any causal LM)
    pad_token_id: int
    token_map: np.ndarray | None = None  # token: task token id -> checkpoint token id
    tokenizer: object = None  # text
    answers: str | None = None  # text: "all" or "final"

    @classmethod
    def open(cls, path: str, task) -> Subject:
        """Config and tokenizer only, so a bad path or a vocabulary that cannot express the task fails before
        any data or weights are loaded. Token checkpoints are those `statetrack train` wrote."""
        meta = statetrack_metadata(path)
        if meta and meta.get("format", "token") == "token":
            return cls(path, "token", meta["pad_token_id"], token_map=symbol_maps(meta, task)[0])
        tokenizer = load_tokenizer(path)
        return cls(path, "text", tokenizer.pad_token_id, tokenizer=tokenizer,
                   answers=(meta or {}).get("answers") or default_answers(task))

    def rows(self, split, task):
        if self.format == "token":
            return token_rows(split, self.token_map, len(task.label_vocab))
        return text_rows(split, task, self.tokenizer, self.answers)

    def load_model(self) -> PreTrainedModel:
        if self.format == "token":
            return AutoModelForTokenClassification.from_pretrained(self.path)
        return load_causal_lm(self.path)

    def random_init(self, model: PreTrainedModel, seed: int) -> PreTrainedModel:
        set_seed(seed)
        auto = AutoModelForTokenClassification if self.format == "token" else AutoModelForCausalLM
        return auto.from_config(model.config, dtype=model.dtype)


@dataclass
class ProbeRun:
    subject: Subject
    model: PreTrainedModel
    rows: dict  # split -> probe rows
    labels: dict  # split -> feature_labels (classes, length, position per feature)
    num_classes: int
    epochs: int
    batch_size: int
    seed: int
    device: torch.device

    def correctness(self, model: PreTrainedModel, name: str, fits: dict[str, np.ndarray]) -> dict[str, list]:
        """Features of `model`, then per layer one probe per train labelling in `fits`: test rows right or not."""
        correct = {fit: [] for fit in fits}
        with tempfile.TemporaryDirectory(prefix="statetrack-probe-") as scratch:
            features = {s: collect_features(model, self.rows[s], self.subject.pad_token_id,
                                            Path(scratch) / f"{s}.npy", device=self.device,
                                            batch_size=self.batch_size, desc=f"{name} features ({s})")
                        for s in PROBE_SPLITS}
            for layer in tqdm(range(len(features["train"])), desc=f"{name} probes"):
                for fit, classes in fits.items():
                    probe = fit_probe(features["train"][layer], classes, self.num_classes, epochs=self.epochs,
                                      seed=self.seed, device=self.device)
                    correct[fit].append(probe.predict(features["test"][layer]) == self.labels["test"]["classes"])
            del features  # the memmaps close before their folder goes
        return correct

    def all_probes(self, controls: tuple[str, ...]) -> dict[str, list]:
        train = self.labels["train"]["classes"]
        fits = {"model": train}
        if "shuffled" in controls:
            fits["shuffled"] = np.random.default_rng(self.seed).permutation(train)
        correct = self.correctness(self.model, "model", fits)
        if "random_init" in controls:
            fresh = self.subject.random_init(self.model, self.seed)
            correct |= self.correctness(fresh, "random init", {"random_init": train})
        return {p: correct[p] for p in ("model", *CONTROLS) if p in correct}


def probe_params(task_name: str, train_length, test_length, num_train: int, num_test: int, seed: int,
                 task_params: dict) -> GenerationParams:
    """The data: train and test splits only; lengths default to the task's protocol, else 2-16."""
    task = get_task(task_name, **task_params)
    train_length = train_length or (task.protocol or {}).get("train_length") or DEFAULT_LENGTH
    params = GenerationParams.resolve(task_name, train_length=train_length, test_length=test_length or train_length,
                                      num_train=num_train, num_test=num_test, num_validation=0, seed=seed,
                                      **task_params)
    if params.num_train < MIN_TRAIN_ROWS or params.num_test < 1:
        raise StateTrackError(f"a probe needs --num-train >= {MIN_TRAIN_ROWS} and --num-test >= 1 (hundreds of "
                              f"rows for meaningful accuracies); got {params.num_train} and {params.num_test}")
    return params


def check_rows(data, params: GenerationParams) -> None:
    """Test rows are deduplicated against train: a task with few strings per length can lose them all."""
    if len(data["test"]) == 0:
        raise StateTrackError(f"no probe test rows: every {params.name} string of lengths {params.test_length} is "
                              f"also among the {params.num_train} train rows; give --test-length other lengths, or "
                              f"lower --num-train")


def check_settings(controls, epochs: int, batch_size: int) -> tuple[str, ...]:
    unknown = [c for c in controls if c not in CONTROLS]
    if unknown:
        raise StateTrackError(f"unknown probe control {unknown[0]!r}; controls: {', '.join(CONTROLS)}")
    if epochs < 1 or batch_size < 1:
        raise StateTrackError(f"--epochs and --batch-size must be >= 1; got {epochs} and {batch_size}")
    return tuple(controls)


def describe(model_path: str, subject: Subject, params: GenerationParams, labels: dict, epochs: int) -> str:
    inputs = "token inputs" if subject.format == "token" else f"the task as text (answers={subject.answers})"
    (lo, hi), (tlo, thi) = params.train_length, params.test_length
    return (f"linear probes on {model_path} reading {inputs}: fitted on {len(labels['train']['classes'])} positions "
            f"of {params.num_train} rows (lengths {lo}-{hi}), tested on {len(labels['test']['classes'])} positions of "
            f"{params.num_test} rows (lengths {tlo}-{thi}); {epochs} epochs, seed {params.seed}")


def run_probe(model_path: str, task_name: str, *, train_length=None, test_length=None, num_train: int = 2000,
              num_test: int = 500, seed: int = 0, batch_size: int = 32, epochs: int = 50, controls=CONTROLS,
              task_params: dict | None = None, output_dir: str | None = None) -> dict:
    """Probe every layer of `model_path` on `task_name`; writes the outputs (main process) and returns the results."""
    start = time.perf_counter()
    controls = check_settings(controls, epochs, batch_size)
    output_dir = str(output_folder(output_dir or default_output_dir(model_path, task_name, "probe"), "--output-dir"))
    check_results_folder(Path(output_dir), "probe")
    params = probe_params(task_name, train_length, test_length, num_train, num_test, seed, task_params or {})
    task = params.task()
    subject = Subject.open(model_path, task)
    if subject.format == "token":
        check_checkpoint_positions(model_path, task, [params.train_length, params.test_length], "probe")
    accelerator = Accelerator()
    with accelerator.main_process_first():  # one process writes the dataset cache, the others read it
        data = load_dataset(params.name, **params.load_kwargs())
        check_rows(data, params)
        rows = {s: subject.rows(data[s], task) for s in PROBE_SPLITS}
    labels = {s: feature_labels(rows[s]) for s in PROBE_SPLITS}
    run = ProbeRun(subject, subject.load_model(), rows, labels, len(task.label_vocab), epochs, batch_size, seed,
                   accelerator.device)
    correct = run.all_probes(controls)
    test_classes = labels["test"]["classes"]
    results = Results(
        kind="probe", title=f"{task_name} probes · {Path(model_path).name}",
        description=describe(model_path, subject, params, labels, epochs), model=str(model_path),
        task=params.as_dict(), seed=seed,
        settings={"format": subject.format, "answers": subject.answers, "epochs": epochs,
                  "num_features": {s: len(labels[s]["classes"]) for s in PROBE_SPLITS}},
        probe={"layers": layer_names(len(correct["model"])), "num_classes": len(task.label_vocab),
               "chance": float(np.bincount(test_classes).max() / len(test_classes)),
               **summarise(correct, labels["test"])},
        world_size=accelerator.num_processes, wall_time_s=time.perf_counter() - start,
        output_dir=output_dir or default_output_dir(model_path, task_name, "probe"))
    if accelerator.is_main_process:
        write_probe_results(results)
    return results

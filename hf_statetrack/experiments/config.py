"""The experiment schema: one YAML file -> `ExperimentConfig`, validated before any work starts.

    output_dir: outputs/s5-lstm
    task: {name: S5, train_length: [1, 16], num_train: 10000, num_test: 1000}   # load_dataset parameters
    model: {preset: lstm, num_layers: 1, hidden_size: 64}                       # a preset and its knobs
    # or model: {architecture: rwkv, num_layers: 2, hidden_size: 64}           # any transformers model_type
    # or model: {module: "my_pkg.models:MyNet", num_layers: 2, hidden_size: 64} # your own torch module
    training: {num_train_epochs: 5, learning_rate: 1.0e-3}                      # any TrainingArguments field
    evaluation: {threshold: 0.9, target_accuracy: 0.99}

A pretrained causal LM is fine-tuned on the task written as text (``format: text``, chosen
automatically); its only knobs are ``lora`` (peft.LoraConfig fields) and ``dtype``::

    model: {pretrained: EleutherAI/pythia-160m, lora: {r: 8, lora_alpha: 16}}
    answers: final                                   # text format: write only the final answer, or "all"

Keys that are not fields fail with the list of valid ones; ``--set training.learning_rate=3e-4``
overrides any value (YAML-parsed) before validation.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainingArguments

from ..core.errors import StateTrackError
from ..core.files import resolve
from ..core.imports import command_line, import_modules
from ..core.limits import check_number
from ..core.registry import did_you_mean
from ..core.threads import parse_request
from ..core.yaml_loader import parse_yaml, read_yaml
from ..data.params import GenerationParams
from ..runtime.tagging import test_label
from ..stats.length_bins import Binning
from ..tasks import get_task
from ..text import check_answers, default_answers
from .checks import (
    check_flag,
    check_positions,
    check_report_to,
    check_training_values,
    sparse_test_warnings,
)

COMMON_TASK_KEYS = ("name", "train_length", "test_length", "num_train", "num_test", "num_validation", "seed",
                    "distinct")
TRAINING_FIELDS = {f.name for f in dataclasses.fields(TrainingArguments) if f.init}
# What we set unless the YAML says otherwise: quiet, CPU-friendly, evaluation each epoch.
TRAINING_DEFAULTS = {
    "per_device_train_batch_size": 64, "per_device_eval_batch_size": 256, "learning_rate": 1e-3,
    "num_train_epochs": 10, "weight_decay": 0.01, "warmup_steps": 0.05, "lr_scheduler_type": "cosine",
    "eval_strategy": "epoch", "save_strategy": "no", "logging_strategy": "epoch", "report_to": "none",
    "disable_tqdm": False, "dataloader_num_workers": 0,
}
# Fine-tuning a pretrained LM: smaller batches, fewer epochs, a smaller step (LoRA adapters take a larger one).
FINETUNE_DEFAULTS = {"per_device_train_batch_size": 32, "per_device_eval_batch_size": 64, "num_train_epochs": 3,
                     "warmup_steps": 0.03}
FORMATS = ("auto", "token", "text")
PRETRAINED_KNOBS = {"lora": "peft.LoraConfig fields, e.g. {r: 8, lora_alpha: 16, target_modules: all-linear}",
                    "dtype": "auto (as saved), float32 (default), bfloat16 or float16"}
DTYPES = ("auto", "float32", "bfloat16", "float16")
DERIVED_KNOBS = {"vocab_size": "its symbols and the pad", "num_labels": "its label vocabulary"}
_CHECKED: dict = {}  # ModelSection.check_builds: models already built and run once in this process


def model_name(model: dict) -> str | None:
    """What a model section is called in labels and reports: its preset, architecture, module's class ("MyNet" for
    "my_pkg.models:MyNet") or checkpoint name; None for a section that names none (a swept knob alone)."""
    for key in ("preset", "architecture", "module", "pretrained"):
        if isinstance(model.get(key), str):
            name = model[key]
            return {"module": name.rpartition(":")[2], "pretrained": Path(name).name}.get(key, name)
    return None


def unknown_key_error(where: str, key: str, valid) -> StateTrackError:
    return StateTrackError(f"unknown key {key!r} in {where}; {did_you_mean(key, valid)}valid keys: "
                           f"{', '.join(sorted(valid))}")


@dataclass
class ModelSection:
    preset: str | None = field(default=None, metadata={
        "help": "a model preset, one of hf_statetrack.models.list_presets(); an unknown name lists them"})
    architecture: str | None = field(default=None, metadata={
        "help": "any transformers model_type (rwkv, qwen3_next, xlstm, ...), its base model built from scratch"})
    module: str | None = field(default=None, metadata={
        "help": "your own torch module, 'package.module:Name', called with vocab_size, hidden_size, num_layers and "
                "the other keys: input ids (B, T) -> hidden states (B, T, hidden_size) (docs: Your own model)"})
    pretrained: str | None = field(default=None, metadata={"help": "a Hub id or a local checkpoint folder"})
    imports: list = field(default_factory=list, metadata={
        "help": "YAML key import: modules imported first (e.g. the package registering an architecture's model_type), "
                "and by every worker and checkpoint load; --import adds to it. Importing runs that code"})
    knobs: dict = field(default_factory=dict, metadata={
        "help": "a preset's, architecture's or module's num_layers, hidden_size and extras; a pretrained model's lora "
                "and dtype"})

    @classmethod
    def from_dict(cls, raw: dict) -> ModelSection:
        raw = dict(raw)
        imports = import_modules(raw.pop("import", None) or [], "model.import")
        section = cls(preset=raw.pop("preset", None), architecture=raw.pop("architecture", None),
                      module=raw.pop("module", None), pretrained=raw.pop("pretrained", None),
                      imports=list(dict.fromkeys([*imports, *command_line()])), knobs=raw)
        if sum(x is not None for x in (section.preset, section.architecture, section.module, section.pretrained)) != 1:
            raise StateTrackError("model needs exactly one of 'preset', 'architecture' or 'module' (train from "
                                  "scratch) or 'pretrained' (fine-tune)")
        for key in ("preset", "architecture", "module", "pretrained"):
            value = getattr(section, key)
            if value is not None and not isinstance(value, str):
                raise StateTrackError(f"model.{key} must be a name or a path, got {type(value).__name__} {value!r}")
        for key in DERIVED_KNOBS:
            if key in section.knobs:
                raise StateTrackError(f"model.{key} is set from the task ({DERIVED_KNOBS[key]}); drop it")
        if section.pretrained is not None:
            check_pretrained_knobs(section.knobs)
        else:
            section.build_config(vocab_size=2, num_labels=2)  # unknown knobs and impossible sizes fail here
        return section

    def check_builds(self, *, vocab_size: int, num_labels: int):
        """`build_config`, then the model built and run once: whatever its init or first forward refuses fails
        here, before any data is generated (`models.smoke`). Returns the config."""
        from ..models import check_architecture, check_module, check_preset

        key = json.dumps([self.preset, self.architecture, self.module, self.imports, self.knobs, vocab_size,
                          num_labels], sort_keys=True, default=str)
        if key not in _CHECKED:  # a sweep checks hundreds of runs that share a few models
            _CHECKED[key] = self.from_scratch(check_preset, check_architecture, check_module, vocab_size=vocab_size,
                                              num_labels=num_labels)
        return _CHECKED[key]

    def from_scratch(self, preset_fn, architecture_fn, module_fn, **sizes):
        """The `models` function for this kind of model trained from scratch, called on its name and knobs (the
        architecture's and module's with the imports, which their checkpoints keep)."""
        if self.module is not None:
            return module_fn(self.module, imports=self.imports, **sizes, **self.knobs)
        if self.architecture is not None:
            return architecture_fn(self.architecture, imports=self.imports, **sizes, **self.knobs)
        return preset_fn(self.preset, **sizes, **self.knobs)

    def build_config(self, *, vocab_size: int, num_labels: int):
        """The config of a model trained from scratch (a preset's, or the generic tagger's over an architecture or
        a module)."""
        from ..models import architecture_config, module_config, preset_config

        return self.from_scratch(preset_config, architecture_config, module_config, vocab_size=vocab_size,
                                 num_labels=num_labels)

    def build(self, *, vocab_size: int, num_labels: int):
        """A freshly initialised token tagger trained from scratch."""
        from ..models import build_architecture, build_model, build_module

        return self.from_scratch(build_model, build_architecture, build_module, vocab_size=vocab_size,
                                 num_labels=num_labels)

    def import_code(self) -> None:
        """Import `imports` in this process (a worker process gets the section pickled, not validated again)."""
        import_modules(self.imports, "model.import")

    def state_size(self, model) -> dict:
        """The recurrent state record of `model`, built from this section (`models.state_size`)."""
        from ..models import PRESETS, state_size_of

        return state_size_of(model, PRESETS.lookup(self.preset) if self.preset is not None else None)

    def lora(self):
        """The peft.LoraConfig of a LoRA fine-tune, or None for full fine-tuning."""
        return lora_config(self.knobs["lora"]) if "lora" in self.knobs else None

    def label(self) -> str:
        """"lstm-L1-H64"; a module by its class: "MyNet-L2-H32"; for Hub ids and folders the last path part:
        "pythia-160m", "pythia-160m-lora"."""
        if self.pretrained:
            return Path(self.pretrained).name + ("-lora" if "lora" in self.knobs else "")
        size = "-".join(f"{k}{v}" for k, v in (("L", self.knobs.get("num_layers")),
                                                 ("H", self.knobs.get("hidden_size"))) if v is not None)
        name = model_name({"preset": self.preset, "architecture": self.architecture, "module": self.module})
        return f"{name}-{size}" if size else name


@dataclass
class EvaluationSection:
    threshold: float = field(default=0.9, metadata={"help": "accuracy threshold of max_length_at_threshold"})
    target_accuracy: float | None = field(default=None, metadata={
        "help": "stop training once validation sequence accuracy reaches this (as in the Illusion-of-State paper)"})
    test_lengths: list | None = field(default=None, metadata={
        "help": "extra test sets, one per entry (int or [min, max]); default: the task's test_length only"})
    # Unset (None) by default, so finished runs of older configs keep their identity (rundir.identity).
    min_rows: int | None = field(default=None, metadata={
        "help": "rows a length bin needs, to be formed and to count for binned_max_length_at_threshold (default 20)"})
    bin_edges: list | None = field(default=None, metadata={
        "help": "fixed length bins instead, each edge starting one, e.g. [41, 65, 129]; default: bins of min_rows"})
    bound: str | None = field(default=None, metadata={
        "help": "what binned_max_length_at_threshold compares: point (the accuracy, default) or lower (its 95 % "
                "Wilson lower bound)"})

    def __post_init__(self):
        check_number(self.threshold, "evaluation.threshold", 0, 1)
        try:
            self.binning()
        except StateTrackError as err:
            raise StateTrackError(f"evaluation.{err}") from None
        if self.target_accuracy is not None:
            check_number(self.target_accuracy, "evaluation.target_accuracy", 0, 1)
        if self.test_lengths is not None and not isinstance(self.test_lengths, list):
            raise StateTrackError(f"evaluation.test_lengths must be a list of lengths, e.g. [32, [40, 60]]; got "
                                  f"{self.test_lengths!r}")

    def binning(self) -> Binning:
        return Binning.of(self.min_rows, self.bin_edges, self.bound)


@dataclass
class ExperimentConfig:
    task: dict
    model: ModelSection
    output_dir: str = "outputs/experiment"
    training: dict = field(default_factory=dict)
    evaluation: EvaluationSection = field(default_factory=EvaluationSection)
    resume: bool = field(default=False, metadata={
        "help": "continue from the newest complete checkpoint in output_dir (none yet: start from step 0)"})
    overwrite: bool = field(default=False, metadata={
        "help": "clear output_dir first (a folder holding another run is refused otherwise)"})
    format: str = field(default="auto", metadata={
        "help": "token (one id per symbol; presets) or text (the task written as text; pretrained models); "
                "auto picks the one the model needs"})
    answers: str | None = field(default=None, metadata={
        "help": "text format: 'final' (only the last answer written) or 'all'; default: the task's choice"})
    threads: int | str | None = field(default=None, metadata={
        "help": "torch threads on CPU: a number or auto (default: OMP_NUM_THREADS, else auto); --threads wins. "
                "Not part of the run's identity: changing it never retrains a finished run"})

    def __post_init__(self):
        check_flag(self.resume, "resume")
        check_flag(self.overwrite, "overwrite")
        self.threads = parse_request(self.threads, "threads")
        if not isinstance(self.output_dir, str) or not self.output_dir.strip():
            raise StateTrackError(f"output_dir must be a folder path, e.g. output_dir: outputs/run1; got "
                                  f"{self.output_dir!r}")
        self.output_dir = str(resolve(self.output_dir))  # ~ expanded, .. and symlinks resolved: what gets written
        needed = "text" if self.model.pretrained else "token"
        if self.format not in FORMATS:
            raise StateTrackError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.format not in ("auto", needed):
            kind = "a pretrained model reads" if self.model.pretrained else "a preset trained from scratch reads"
            raise StateTrackError(f"format: {self.format} does not fit the model: {kind} the task as {needed}; "
                                  f"set format: {needed} or drop the key")
        self.format = needed
        if self.format == "token" and self.answers is not None:
            raise StateTrackError("answers only applies to the text format (pretrained models); drop the key")
        if self.format == "text":
            self.answers = check_answers(self.answers or default_answers(self.generation_params().task()))
        self.check_work()

    def check_work(self) -> None:
        """What would otherwise fail after data generation: training values, report_to, every test length,
        and the longest row against the model's maximum positions."""
        check_training_values(self.training)
        check_report_to(self.training_arguments().report_to)
        lengths = [self.generation_params().train_length, self.generation_params().test_length]
        for spec in self.evaluation.test_lengths or []:
            lengths.append(GenerationParams.resolve(**{**self.task, "test_length": spec}).test_length)
        if not self.model.pretrained:
            task = self.generation_params().task()
            config = self.model.check_builds(vocab_size=len(task.vocab) + 1, num_labels=len(task.label_vocab))
            if self.model.preset is not None:
                check_positions(config, task, lengths, self.model.preset)

    def generation_params(self) -> GenerationParams:
        return GenerationParams.resolve(**self.task)

    def test_ranges(self) -> dict[str, tuple[int, int]]:
        """Split name -> length range of every test split: the task's, then one per evaluation.test_lengths."""
        ranges = {"test": self.generation_params().test_length}
        for spec in self.evaluation.test_lengths or []:
            ranges[test_label(spec)] = GenerationParams.resolve(**{**self.task, "test_length": spec}).test_length
        return ranges

    def split_names(self) -> list[str]:
        """The splits a run's results hold: validation (when it has rows), test, one per extra test length."""
        return ["validation"] * (self.generation_params().num_validation > 0) + list(self.test_ranges())

    def sparse_test_warnings(self) -> list[str]:
        """Before training: the test splits too small for bins of evaluation.min_rows rows (see `checks`)."""
        params = self.generation_params()
        return sparse_test_warnings(params.task(), self.test_ranges(), params.num_test, self.evaluation.binning())

    def training_defaults(self) -> dict:
        if not self.model.pretrained:
            return TRAINING_DEFAULTS
        learning_rate = 1e-3 if "lora" in self.model.knobs else 1e-4
        return {**TRAINING_DEFAULTS, **FINETUNE_DEFAULTS, "learning_rate": learning_rate, **bf16_setting()}

    def training_arguments(self, **overrides) -> TrainingArguments:
        values = {**self.training_defaults(), "seed": self.task.get("seed", 0), **cpu_ddp_setting(), **self.training,
                  **overrides}
        if values.get("save_strategy") == "no" and values.get("load_best_model_at_end"):
            values["save_strategy"] = values["eval_strategy"]
        try:
            return TrainingArguments(output_dir=self.output_dir, **values)
        except (ValueError, TypeError) as err:
            raise StateTrackError(f"invalid training settings: {str(err).splitlines()[0]}") from None

    def to_dict(self) -> dict:
        # module and import only when set: the fingerprints of checkpoints written before they existed still match
        own = {k: v for k, v in (("module", self.model.module), ("import", self.model.imports)) if v}
        return {"output_dir": self.output_dir, "task": self.task,
                "model": {"preset": self.model.preset, "architecture": self.model.architecture,
                          "pretrained": self.model.pretrained, **own, **self.model.knobs},
                "training": self.training, "evaluation": dataclasses.asdict(self.evaluation), "resume": self.resume,
                "overwrite": self.overwrite, "format": self.format, "answers": self.answers, "threads": self.threads}


def cpu_ddp_setting() -> dict:
    """No pinned memory without a GPU. Several processes and no GPU (``accelerate launch --num_processes 2``
    on a CPU machine): Accelerate only builds a gloo process group when told to use the CPU; otherwise each
    process would train alone."""
    import torch

    if torch.cuda.is_available():
        return {}
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1
    return {"dataloader_pin_memory": False, **({"use_cpu": True} if launched else {})}


def bf16_setting() -> dict:
    """Mixed precision on a bf16-capable GPU: float32 master weights, bf16 matmuls (Trainer/Accelerate autocast)."""
    import torch

    return {"bf16": True} if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else {}


def check_pretrained_knobs(knobs: dict) -> None:
    for key in knobs:
        if key not in PRETRAINED_KNOBS:
            raise unknown_key_error("model (a pretrained model takes only these knobs)", key,
                                    ["pretrained", *PRETRAINED_KNOBS])
    if knobs.get("dtype", "float32") not in DTYPES:
        raise StateTrackError(f"model.dtype must be one of {', '.join(DTYPES)}, got {knobs['dtype']!r}")
    if "lora" in knobs:
        lora_config(knobs["lora"])


def lora_config(raw):
    """``{r: 8, lora_alpha: 16}`` -> peft.LoraConfig for a causal LM (peft picks target_modules if not given)."""
    try:
        from peft import LoraConfig
    except ImportError:
        raise StateTrackError("model.lora needs the peft library: pip install 'hf-statetrack[peft]'") from None
    if not isinstance(raw, dict):
        raise StateTrackError(f"model.lora must be a mapping of peft.LoraConfig fields, e.g. {{r: 8}}; got {raw!r}")
    valid = {f.name for f in dataclasses.fields(LoraConfig) if f.init}
    for key in raw:
        if key not in valid:
            raise unknown_key_error("model.lora (peft.LoraConfig fields)", key, valid)
    try:
        return LoraConfig(**{"task_type": "CAUSAL_LM", **raw})
    except (ValueError, TypeError) as err:
        raise StateTrackError(f"model.lora: {str(err).splitlines()[0]}") from None


def check_task_section(task: dict) -> dict:
    if "name" not in task:
        raise StateTrackError("task.name is missing: name a task, e.g. task: {name: S5, ...}")
    default = get_task(task["name"])  # params lists its parameters; optional_params those shown only when set
    task_params = set(default.params) | set(getattr(default, "optional_params", ()))
    for key in task:
        if key not in COMMON_TASK_KEYS and key not in task_params:
            raise unknown_key_error("task", key, [*COMMON_TASK_KEYS, *task_params])
    params = GenerationParams.resolve(**task)  # lengths, counts and task parameters are checked here
    for key in ("num_train", "num_test"):  # a run trains on train rows and reports on test rows
        if getattr(params, key) == 0:
            raise StateTrackError(f"task.{key} must be >= 1 for an experiment, got 0")
    return task


def from_dict(raw: dict) -> ExperimentConfig:
    top = {f.name for f in dataclasses.fields(ExperimentConfig)}
    for key in raw:
        if key not in top:
            raise unknown_key_error("the experiment", key, top)
    for required in ("task", "model"):
        if not isinstance(raw.get(required), dict):
            raise StateTrackError(f"the experiment needs a '{required}:' mapping")
    for section in ("training", "evaluation"):
        if raw.get(section) is not None and not isinstance(raw[section], dict):
            raise StateTrackError(f"{section} must be a mapping of keys to values ({section}: {{key: value}}), got "
                                  f"{type(raw[section]).__name__} {raw[section]!r:.60}")
    for key in raw.get("training") or {}:
        if key not in TRAINING_FIELDS or key == "output_dir":
            raise unknown_key_error("training (TrainingArguments fields; output_dir is top-level)", key,
                                    TRAINING_FIELDS - {"output_dir"})
    evaluation = raw.get("evaluation") or {}
    eval_fields = {f.name for f in dataclasses.fields(EvaluationSection)}
    for key in evaluation:
        if key not in eval_fields:
            raise unknown_key_error("evaluation", key, eval_fields)
    return ExperimentConfig(task=check_task_section(dict(raw["task"])), model=ModelSection.from_dict(raw["model"]),
                            output_dir=raw.get("output_dir", "outputs/experiment"),
                            training=dict(raw.get("training") or {}), evaluation=EvaluationSection(**evaluation),
                            resume=raw.get("resume", False), overwrite=raw.get("overwrite", False),
                            format=str(raw.get("format", "auto")), answers=raw.get("answers"),
                            threads=raw.get("threads"))


def apply_override(raw: dict, assignment: str) -> None:
    """``training.learning_rate=3e-4`` -> raw["training"]["learning_rate"] = 3e-4 (value parsed as YAML)."""
    key, sep, value = assignment.partition("=")
    if not sep or not key:
        raise StateTrackError(f"--set takes KEY=VALUE with a dotted key, e.g. training.learning_rate=3e-4; got "
                              f"{assignment!r}")
    set_dotted(raw, key, parse_yaml(value, f"--set {key}"))


def set_dotted(raw: dict, key: str, value) -> None:
    """raw["a"]["b"] = value for key "a.b" (a copy of value, so configs never share nested objects)."""
    *parents, leaf = key.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise StateTrackError(f"--set {key}: {part!r} is not a mapping in the config")
    node[leaf] = copy.deepcopy(value)


def load_config(path: str | Path, overrides: list[str] = ()) -> ExperimentConfig:
    raw = read_yaml(path)
    raw.pop("sweep", None)
    for assignment in overrides:
        apply_override(raw, assignment)
    return from_dict(raw)


def resolved(value: Any) -> Any:
    """YAML/JSON friendly copy (tuples -> lists)."""
    if isinstance(value, dict):
        return {k: resolved(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolved(v) for v in value]
    return value

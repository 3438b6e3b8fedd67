"""The suite schema: one YAML file -> `Suite`, the tasks a benchmark trains every model on and their protocol.

    threshold: 0.9                  # of the robust longest length
    score: token_accuracy           # the accuracy the scorecard corrects for chance
    seeds: 3
    models: [transformer, lstm, arch:rwkv]          # the default --models
    budget: {preset: transformer, num_layers: 2, hidden_size: 64}   # whose parameter count every width matches
    run: {task: {num_train: 2000, num_test: 200}, training: {max_steps: 600}}   # every run's experiment keys
    tasks:
      - {id: parity, class: "non-star-free regular", task: {name: parity, train_length: [1, 20]}, ood: [21, 60]}
    scales:                          # --scale NAME: these keys replace the suite's; tasks: {id: replacements}
      paper: {run: {task: {num_train: 100000}}, tasks: {parity: {ood: [51, 100]}}}

A task is tested in distribution on its training lengths (the ``test`` split) and out of distribution on
``ood`` (one extra test split). Nothing here trains: `load_suite` checks every key and every task section,
so a typo fails in one line before any work.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...core.errors import StateTrackError
from ...core.limits import check_number
from ...core.yaml_loader import read_yaml
from ...data.params import compact, parse_length
from ...runtime.tagging import test_label
from ...stats.scoring import SUMMARY_KEYS
from ..config import check_task_section, unknown_key_error
from ..sweep_config import check_seeds

DEFAULT_SUITE = Path(__file__).with_name("default.yaml")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]*")  # one folder name, and a readable table column


def field_help(text: str, **kwargs):
    return field(metadata={"help": text}, **kwargs)


def merged(base: dict, update: dict) -> dict:
    """`base` with `update` laid over it, mappings merged key by key (a copy: suites never share objects)."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else \
            copy.deepcopy(value)
    return out


@dataclass
class SuiteTask:
    id: str = field_help("the task's name in the scorecard and in its runs' folders, e.g. parity")
    task: dict = field_help("the task section of its runs (statetrack train's task: keys): name, train_length, "
                            "parameters; test_length defaults to train_length (the in-distribution test)")
    ood: int | list = field_help("the out-of-distribution test lengths: a length or [min, max]")
    kind: str = field_help("what the theory says of it, one line (YAML: class), e.g. 'non-solvable group'",
                           default="")
    run: dict = field_help("experiment keys of this task's runs laid over the suite's run:, e.g. "
                           "{training: {max_steps: 1000}}", default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.id, str) or not ID.fullmatch(self.id):
            raise StateTrackError(f"suite task id must be letters, digits, _ and . (a folder name), got {self.id!r}")
        if not isinstance(self.task, dict) or "name" not in self.task:
            raise StateTrackError(f"suite task {self.id}: task: needs a mapping with a name, e.g. {{name: parity}}")
        if "train_length" not in self.task:
            raise StateTrackError(f"suite task {self.id}: task: needs a train_length (the lengths it trains and is "
                                  "tested on in distribution), e.g. [1, 20]")
        if not isinstance(self.run, dict):
            raise StateTrackError(f"suite task {self.id}: run: must be a mapping of experiment keys")
        self.task = {**self.task, "test_length": self.task.get("test_length", self.task["train_length"])}
        parse_length(self.ood, f"suite task {self.id}: ood")

    @classmethod
    def from_dict(cls, raw) -> SuiteTask:
        if not isinstance(raw, dict):
            raise StateTrackError(f"every entry of tasks: is a mapping {{id, task, ood, class}}, got {raw!r:.60}")
        names = {"class": "kind", **{f.name: f.name for f in dataclasses.fields(cls) if f.name != "kind"}}
        for key in raw:
            if key not in names:
                raise unknown_key_error(f"suite task {raw.get('id', '?')}", key, names)
        missing = [k for k in ("id", "task", "ood") if k not in raw]
        if missing:
            raise StateTrackError(f"suite task {raw.get('id', '?')} needs {', '.join(missing)} (id, task, ood)")
        return cls(**{names[k]: v for k, v in raw.items()})

    @property
    def ood_lengths(self) -> int | list:
        """The out-of-distribution lengths as evaluation.test_lengths takes them: 60 or [21, 60]."""
        lengths = compact(parse_length(self.ood, "ood"))
        return lengths if isinstance(lengths, int) else list(lengths)

    @property
    def ood_split(self) -> str:
        """The split name of the out-of-distribution test: "test@21-60"."""
        return test_label(self.ood_lengths)

    def experiment(self, run: dict) -> dict:
        """This task's runs' experiment keys (no model yet): the suite's `run`, the task's own, its test splits."""
        raw = merged(merged(run, self.run), {"task": self.task})
        raw.setdefault("evaluation", {})["test_lengths"] = [self.ood_lengths]
        return raw


@dataclass
class Suite:
    tasks: list = field_help("the tasks: a list of {id, class, task, ood, run}")
    name: str = field_help("the suite's name in the scorecard (default: the file's name)", default="suite")
    description: str = field_help("one line on what the suite measures", default="")
    threshold: float = field_help("the sequence accuracy every length bin up to the robust longest length "
                                  "reaches, in (0, 1]", default=0.9)
    score: str = field_help(f"the accuracy corrected for chance in the scorecard: {', '.join(SUMMARY_KEYS)}",
                            default="token_accuracy")
    seeds: int = field_help("seeds per task and model (--seeds wins)", default=1)
    models: list = field_help("the default --models: preset names, arch:<model_type>, model files",
                              default_factory=lambda: ["transformer", "lstm"])
    budget: dict | int | None = field_help(
        "equal parameter budgets: a model section whose parameter count (embedding tables left out) each "
        "model's width matches on every task, a number of parameters, or null (the widths as given)",
        default_factory=lambda: {"preset": "transformer", "num_layers": 2, "hidden_size": 64})
    run: dict = field_help("experiment keys every run starts from (task:, training:, evaluation:, threads:)",
                           default_factory=dict)
    estimate_s_per_run: float | None = field_help(
        "measured wall seconds per run with 2 at once on 2 CPU cores, for --dry-run's time estimate", default=None)
    scales: dict = field_help("scale name -> the keys it replaces (tasks: {id: keys}); --scale picks one",
                              default_factory=dict)
    scale: str | None = field(default=None, init=False, metadata={"help": "the scale applied (not a YAML key)"})

    def __post_init__(self):
        if not isinstance(self.tasks, list) or not self.tasks:
            raise StateTrackError("a suite needs tasks: a non-empty list of {id, class, task, ood}")
        self.tasks = [t if isinstance(t, SuiteTask) else SuiteTask.from_dict(t) for t in self.tasks]
        ids = [t.id for t in self.tasks]
        if len(set(ids)) != len(ids):
            raise StateTrackError(f"suite task ids must differ; {next(i for i in ids if ids.count(i) > 1)!r} "
                                  "appears twice")
        check_number(self.threshold, "suite threshold", 0, 1)
        if self.score not in SUMMARY_KEYS:
            raise StateTrackError(f"suite score must be one of {', '.join(SUMMARY_KEYS)}, got {self.score!r}")
        check_seeds(self.seeds)
        if not isinstance(self.models, list) or not self.models:
            raise StateTrackError("suite models: must be a non-empty list, e.g. [transformer, lstm, arch:rwkv]")
        if not (self.budget is None or isinstance(self.budget, dict) or (
                isinstance(self.budget, int) and not isinstance(self.budget, bool) and self.budget > 0)):
            raise StateTrackError(f"suite budget must be a model section, a number of parameters > 0 or null, got "
                                  f"{self.budget!r}")
        if not isinstance(self.run, dict):
            raise StateTrackError("suite run: must be a mapping of experiment keys (task:, training:, ...)")
        if self.estimate_s_per_run is not None:
            check_number(self.estimate_s_per_run, "suite estimate_s_per_run", 0, float("inf"))
        for key in self.run:
            if key in ("model", "output_dir"):
                raise StateTrackError(f"suite run: may not set {key} (the benchmark sets it for every run)")
        for task in self.tasks:
            check_task_section(task.experiment(self.run)["task"])

    @classmethod
    def from_dict(cls, raw: dict, name: str = "suite", scale: str | None = None) -> Suite:
        """The YAML mapping, with the scale's keys laid over it (`scale` None: ``cpu`` where the suite has it)."""
        valid = [f.name for f in dataclasses.fields(cls) if f.init]
        for key in raw:
            if key not in valid:
                raise unknown_key_error("the suite", key, valid)
        scales = raw.get("scales") or {}
        if not isinstance(scales, dict) or not all(isinstance(v, dict) for v in scales.values()):
            raise StateTrackError("suite scales: must map scale names to mappings of suite keys")
        if scale is None:
            scale = "cpu" if "cpu" in scales else None
        elif scale not in scales:
            raise StateTrackError(f"--scale must be one of {', '.join(scales) or '(none: this suite has no scales)'}"
                                  f" for suite {name}, got {scale!r}")
        raw = {"name": name, **raw}
        suite = cls(**(with_scale(raw, scales[scale], scale) if scale else raw))
        suite.scale = scale
        return suite


def with_scale(raw: dict, scale: dict, name: str) -> dict:
    """The suite's keys with a scale's laid over them; the scale's tasks: replaces keys of tasks by id."""
    valid = [f.name for f in dataclasses.fields(Suite) if f.init and f.name not in ("scales", "name")]
    for key in scale:
        if key not in valid:
            raise unknown_key_error(f"scale {name}", key, valid)
    out = merged(raw, {k: v for k, v in scale.items() if k not in ("tasks", "run")})
    out["run"] = merged(raw.get("run") or {}, scale.get("run") or {})
    by_id = {t.get("id"): t for t in raw.get("tasks") or [] if isinstance(t, dict)}
    for task_id, update in (scale.get("tasks") or {}).items():
        if task_id not in by_id or not isinstance(update, dict):
            raise StateTrackError(f"scale {name}: tasks: {task_id!r} is not a task of the suite "
                                  f"({', '.join(map(str, by_id))}), or its value is not a mapping")
    out["tasks"] = [merged(t, (scale.get("tasks") or {}).get(t.get("id"), {})) if isinstance(t, dict) else t
                    for t in raw.get("tasks") or []]
    return out


def load_suite(path: str | Path | None = None, scale: str | None = None) -> Suite:
    """A suite YAML file (default: the shipped default suite) at `scale`."""
    path = Path(path) if path else DEFAULT_SUITE
    raw = read_yaml(path)
    return Suite.from_dict(raw, name=raw.get("name") or path.stem, scale=scale)

"""The models of a benchmark: ``--models`` entries -> `BenchModel`s, and each one's width for the parameter budget.

    --models transformer,lstm,arch:rwkv,my_model.yaml

An entry is

* a preset name (``statetrack train``'s ``model: {preset: NAME}``: transformer, lstm, mamba, deltanet, ...);
* ``arch:<model_type>`` (or ``architecture:<model_type>``): any transformers architecture trained from scratch,
  ``model: {architecture: <model_type>}``;
* a YAML file: a model section in any form ``statetrack train`` accepts (``{preset: lstm, num_layers: 2}``), or
  ``{name: my-lstm, model: {...}, training: {...}}``, which names the model and gives its runs' training keys.

Equal budgets (`match_width`): a preset or architecture whose section gives no ``hidden_size`` gets, on each task,
the width whose parameter count is closest to the budget's (ties: the smaller width). Counts leave embedding
tables out (``nn.Embedding``: token and learned position tables, which a task's vocabulary or a model's
maximum length sizes, not its computation), and models are built on the meta device (no memory, milliseconds).
Depth stays as the model says (a preset's default, or ``num_layers``).

>>> [m.id for m in parse_models("lstm,arch:rwkv")]
['lstm', 'arch-rwkv']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ...core.errors import StateTrackError
from ...core.registry import did_you_mean
from ...core.yaml_loader import read_yaml
from ..config import ModelSection, unknown_key_error

ARCH_PREFIXES = ("arch:", "architecture:")
MAX_WIDTH = 4096
WALK = 32  # widths tried past one a model refuses (heads that do not divide it) before giving up there
FILE_KEYS = ("name", "model", "training")
MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a folder name


@dataclass
class BenchModel:
    id: str  # its row in the scorecard and the second half of its runs' folder names
    spec: str  # as given: "lstm", "arch:rwkv", "models/my.yaml"
    model: dict  # the model section of its runs
    training: dict = field(default_factory=dict)  # training keys of its runs, over the suite's

    @property
    def matched(self) -> bool:
        """Its width follows the budget: a preset or an architecture whose section gives no hidden_size."""
        return ("preset" in self.model or "architecture" in self.model) and "hidden_size" not in self.model


def parse_models(entries) -> list[BenchModel]:
    """A comma-separated string (--models) or a list (a suite's models:) -> models, each checked (its section
    builds a config) before any work; ids must differ."""
    items = [e.strip() for e in entries.split(",")] if isinstance(entries, str) else list(entries)
    if not items or any(not isinstance(e, str) or not e for e in items):
        raise StateTrackError(f"--models takes a comma-separated list of presets, arch:<model_type> or model YAML "
                              f"files, e.g. transformer,lstm,arch:rwkv; got {entries!r}")
    models = [parse_entry(e) for e in items]
    ids = [m.id for m in models]
    twice = next((i for i in ids if ids.count(i) > 1), None)
    if twice:
        raise StateTrackError(f"two --models entries are both called {twice!r}; name one in its YAML file (name:)")
    return models


def parse_entry(entry: str) -> BenchModel:
    if entry.endswith((".yaml", ".yml")):
        return from_file(entry)
    prefix = next((p for p in ARCH_PREFIXES if entry.startswith(p)), None)
    if prefix:
        model_type = entry[len(prefix):]
        return checked(BenchModel(f"arch-{model_type}", entry, {"architecture": model_type}))
    from ...models import list_presets

    if entry not in list_presets():
        raise StateTrackError(f"unknown model {entry!r} in --models; {did_you_mean(entry, list_presets())}a preset "
                              f"({', '.join(list_presets())}), arch:<model_type> for a transformers architecture "
                              f"(e.g. arch:rwkv), or a model YAML file")
    return checked(BenchModel(entry, entry, {"preset": entry}))


def from_file(path: str) -> BenchModel:
    raw = read_yaml(path)
    if "model" not in raw:  # a bare model section
        raw = {"model": raw}
    for key in raw:
        if key not in FILE_KEYS:
            raise unknown_key_error(f"model file {path}", key, FILE_KEYS)
    if not isinstance(raw["model"], dict) or not isinstance(raw.get("training") or {}, dict):
        raise StateTrackError(f"model file {path}: model: and training: must be mappings")
    name = raw.get("name") or Path(path).stem
    return checked(BenchModel(str(name), path, dict(raw["model"]), dict(raw.get("training") or {})))


def checked(model: BenchModel) -> BenchModel:
    if not MODEL_ID.fullmatch(model.id):
        raise StateTrackError(f"model name {model.id!r} ({model.spec}) must be letters, digits, _, . and - "
                              "(a folder name)")
    try:
        ModelSection.from_dict(model.model)
    except StateTrackError as err:
        raise StateTrackError(f"--models {model.spec}: {err}") from None
    return model


def parameter_count(model: dict, vocab_size: int, num_labels: int) -> int | None:
    """Parameters outside embedding tables of the model `model` (a section) builds, on the meta device; None
    where it cannot be built with these settings."""
    return _count(json.dumps(model, sort_keys=True), vocab_size, num_labels)


@cache
def _count(model_json: str, vocab_size: int, num_labels: int) -> int | None:
    import torch

    from ...models import PRESETS
    from ...models.generic_tagger import ArchitectureForTokenClassification

    try:
        section = ModelSection.from_dict(json.loads(model_json))
        with torch.device("meta"):
            if section.preset is not None or section.architecture is not None:
                # the classes themselves: build_model's one-time loss check cannot run on meta tensors
                config = section.build_config(vocab_size=vocab_size, num_labels=num_labels)
                net = (PRESETS.lookup(section.preset).model_class if section.preset is not None else
                       ArchitectureForTokenClassification)(config)
            else:
                net = section.build(vocab_size=vocab_size, num_labels=num_labels)
    except Exception:  # a width its heads do not divide, any other refusal: not a candidate
        return None
    tables = {id(p) for m in net.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    return sum(p.numel() for p in net.parameters() if id(p) not in tables)


def buildable(model: dict, width: int, step: int, vocab_size: int, num_labels: int) -> tuple[int, int] | None:
    """(width, count) of the first width from `width` on, going by `step` (+1 or -1), that the model builds."""
    for w in range(width, width + step * WALK, step):
        if 1 <= w <= MAX_WIDTH and (count := parameter_count({**model, "hidden_size": w}, vocab_size,
                                                                num_labels)) is not None:
            return w, count
    return None


def match_width(model: dict, target: int, vocab_size: int, num_labels: int) -> tuple[int, int]:
    """(hidden_size, count): the width whose count is closest to `target` (ties: the smaller). Counts grow with
    the width, so a binary search finds the first width at or above the target; the one below it is its rival."""
    lo, hi = 1, MAX_WIDTH
    while lo < hi:
        mid = (lo + hi) // 2
        found = buildable(model, mid, 1, vocab_size, num_labels)
        if found is not None and found[1] >= target:
            hi = mid
        else:
            lo = found[0] + 1 if found is not None else mid + WALK
    candidates = [c for c in (buildable(model, lo, 1, vocab_size, num_labels),
                              buildable(model, lo - 1, -1, vocab_size, num_labels)) if c is not None]
    if not candidates:
        raise StateTrackError(f"model {model} builds at no width near {lo}; give its hidden_size in a model file")
    return min(candidates, key=lambda c: (abs(c[1] - target), c[0]))


def match_width_ref(model: dict, target: int, vocab_size: int, num_labels: int, widths=range(1, 513)):
    """`match_width` by trying every width of `widths` (for tests)."""
    counts = [(w, c) for w in widths if (c := parameter_count({**model, "hidden_size": w}, vocab_size,
                                                                num_labels)) is not None]
    return min(counts, key=lambda c: (abs(c[1] - target), c[0]))


def budget_target(budget, vocab_size: int, num_labels: int) -> int | None:
    """The parameter count every width matches on a task: the budget model's, or the number given (None: off)."""
    if budget is None or isinstance(budget, int):
        return budget
    count = parameter_count(budget, vocab_size, num_labels)
    if count is None:
        try:
            ModelSection.from_dict(budget)
        except StateTrackError as err:
            raise StateTrackError(f"suite budget: {err}") from None
        raise StateTrackError(f"suite budget {budget} cannot be built; give other sizes or a number of parameters")
    return count

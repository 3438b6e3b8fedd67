"""Value checks of an experiment config, run before any data is generated: types (a boolean is a boolean,
a number a number), ranges, the ``training`` values against `TrainingArguments`' field types, the
logging integrations named in ``report_to``, and test lengths against the model's maximum positions.

>>> check_flag("no", "resume")
Traceback (most recent call last):
...
hf_statetrack.core.errors.StateTrackError: resume must be true or false, got 'no'
"""

from __future__ import annotations

import dataclasses
import enum
import math
import sys
import types
import typing

import numpy as np
from transformers import TrainingArguments

from ..core.errors import StateTrackError
from ..core.yaml_loader import bool_hint
from ..runtime.checkpoints import longest_row
from ..stats.intervals import rows_needed
from ..stats.length_bins import Binning, edge_bins

SIMPLE_TYPES = (bool, int, float, str, type(None))
TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string", type(None): "null"}
POSITIVE_TRAINING = ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps")
NON_NEGATIVE_TRAINING = ("learning_rate", "weight_decay", "warmup_steps", "max_grad_norm")


def check_flag(value, what: str) -> bool:
    if not isinstance(value, bool):
        raise StateTrackError(f"{what} must be true or false, got {value!r}")
    return value


def allowed_types(tp) -> set | None:
    """The simple types a TrainingArguments field accepts (enums as str), or None if it takes richer values."""
    args = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    out = set()
    for arg in args:
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            out.add(str)
        elif arg in SIMPLE_TYPES:
            out.add(arg)
        else:
            return None
    return out


def fits(value, allowed: set) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return type(value) in allowed
    if isinstance(value, int):
        return bool({int, float} & allowed)
    return isinstance(value, float) and float in allowed


TRAINING_TYPES = {f.name: allowed_types(f.type) for f in dataclasses.fields(TrainingArguments) if f.init}


def check_training_values(training: dict) -> None:
    """Types of every simple TrainingArguments field, then the ranges TrainingArguments itself does not check."""
    for key, value in training.items():
        allowed = TRAINING_TYPES.get(key)
        if allowed is not None and not fits(value, allowed):
            shown = [t for t in TYPE_NAMES if t in allowed and not (t is int and float in allowed)]  # a number
            names = " or ".join(TYPE_NAMES[t] for t in shown)
            hint = bool_hint(value) if str in allowed else ""
            raise StateTrackError(f"training.{key} must be {names}, got {value!r}{hint}")
        if isinstance(value, float) and not math.isfinite(value):  # NaN passes every range check below
            raise StateTrackError(f"training.{key} must be a finite number, got {value!r}")
    for key in POSITIVE_TRAINING:
        if key in training and training[key] < 1:
            raise StateTrackError(f"training.{key} must be >= 1, got {training[key]!r}")
    for key in NON_NEGATIVE_TRAINING:
        if key in training and training[key] < 0:
            raise StateTrackError(f"training.{key} must be >= 0, got {training[key]!r}")
    max_steps = training.get("max_steps", -1)
    if max_steps == 0 or max_steps < -1:
        raise StateTrackError(f"training.max_steps must be > 0, or -1 to train num_train_epochs; got {max_steps}")
    if max_steps == -1 and training.get("num_train_epochs", 1) <= 0:
        raise StateTrackError(f"training.num_train_epochs must be > 0 (or set max_steps), got "
                              f"{training['num_train_epochs']!r}")


def check_report_to(report_to) -> None:
    """Every integration in report_to is one transformers knows and is installed (Trainer finds out too late)."""
    from transformers.integrations import get_available_reporting_integrations
    from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

    names = [report_to] if isinstance(report_to, str) else list(report_to or [])
    available = set(get_available_reporting_integrations())
    for name in names:
        if name in ("none", "all"):
            continue
        if name not in INTEGRATION_TO_CALLBACK:
            raise StateTrackError(f"training.report_to: unknown integration {name!r}; known: "
                                  f"{', '.join(sorted(INTEGRATION_TO_CALLBACK))}, none")
        if name not in available:
            raise StateTrackError(f"training.report_to: {name} is not installed; pip install {name}, or set "
                                  f"report_to: none")


def check_positions(model_config, task, lengths: list[tuple[int, int]], preset: str) -> None:
    """A model with learned or bounded positions (gpt2 n_positions, transformer max_position_embeddings) must
    reach the longest row it will train on or be tested on."""
    for knob in ("n_positions", "max_position_embeddings"):
        limit = getattr(model_config, knob, None)
        if limit is None:
            continue
        width = longest_row(task, lengths)
        if width > limit:
            raise StateTrackError(f"model preset {preset} reads at most {knob}={limit} positions, but rows at "
                                  f"length {max(h for _, h in lengths)} have {width}; set model.{knob}: {width} "
                                  f"or shorten the lengths")


def sparse_test_warnings(task, ranges: dict[str, tuple[int, int]], num_test: int, binning: Binning) -> list[str]:
    """One line per test split whose rows, drawn uniformly over its lengths, give a length (or, with fixed
    bin_edges, a bin) fewer than min_rows rows, with the num_test that would not."""
    lines, need = [], binning.min_rows
    for split, (lo, hi) in ranges.items():
        support = np.asarray(task.length_support(lo, hi))
        if not len(support):
            continue
        where = f"{split} (lengths {lo}..{hi}): about"
        if binning.bin_edges is None:
            per_length = num_test / len(support)
            if per_length < need:
                lines.append(f"warning: {where} {per_length:.1f} test rows per length (num_test {num_test} over "
                             f"{len(support)} lengths), fewer than evaluation.min_rows {need}: accuracy is reported "
                             f"over bins of about {math.ceil(need / max(per_length, 1e-9))} lengths; num_test "
                             f"{rows_needed(need, len(support))} would give every length {need} rows")
            continue
        narrowest = min(b - a for a, b in edge_bins(support, binning.bin_edges))
        smallest = num_test * narrowest / len(support)
        if smallest < need:
            lines.append(f"warning: {where} {smallest:.1f} test rows in its narrowest bin ({narrowest} lengths), "
                         f"fewer than evaluation.min_rows {need}: that bin will not count for the longest length; "
                         f"num_test {rows_needed(need, len(support), narrowest)} would fill every bin")
    return lines


_WARNED: set[str] = set()


def warn_once(lines: list[str]) -> None:
    """Print each warning once per process (a sweep checks every run of a dataset before training any)."""
    for line in lines:
        if line not in _WARNED:
            _WARNED.add(line)
            print(line, file=sys.stderr, flush=True)

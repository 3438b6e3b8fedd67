"""A task's parameters against the annotations of its ``__init__`` (``int``, ``float``, ``str``, ``int | None``;
others are the task's own to check), so a wrong type is one line, not a TypeError from numpy
(``--param modulus=2.5``), and a whole number is bounded before the task allocates anything (``dn`` with
n=10**12 builds an automaton of 10^12 states). The task's own checks run first and keep their messages
(they name the valid range); these catch what they miss.

>>> build_task(_Demo, "demo", {}, {"size": 2.5})
Traceback (most recent call last):
...
hf_statetrack.core.errors.StateTrackError: task demo: parameter size must be a whole number, got float 2.5
"""

from __future__ import annotations

import numpy as np

from ..core.errors import StateTrackError
from ..core.limits import check_limit
from ..core.yaml_loader import bool_hint


def annotated_kinds(task_cls: type) -> dict[str, set[str]]:
    """Parameter -> the names in its annotation: ``"int | None"`` -> {"int", "None"} (a string under postponed
    annotations, else a type)."""
    import inspect

    kinds = {}
    for key, p in inspect.signature(task_cls.__init__).parameters.items():
        text = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", str(p.annotation))
        kinds[key] = {part.strip() for part in text.split("|")}
    return kinds


def is_whole(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def type_error(name: str, params: dict, kinds: dict[str, set[str]]) -> StateTrackError | None:
    """The first parameter whose value does not fit its annotation, as our error (None if all fit)."""
    for key, value in params.items():
        kind = kinds.get(key, set())
        if value is None and "None" in kind:
            continue
        got = f"got {type(value).__name__} {value!r}{bool_hint(value) if 'str' in kind else ''}"
        if "int" in kind and kind <= {"int", "None"} and not is_whole(value):
            return StateTrackError(f"task {name}: parameter {key} must be a whole number, {got}")
        if "float" in kind and kind <= {"float", "None"} and (
                isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value)):
            return StateTrackError(f"task {name}: parameter {key} must be a finite number, {got}")
        if "str" in kind and kind <= {"str", "None"} and not isinstance(value, str):
            return StateTrackError(f"task {name}: parameter {key} must be a string, {got}")
    return None


def build_task(task_cls: type, name: str, fixed: dict, params: dict):
    """``task_cls(**fixed, **params)`` with the checks above around it."""
    kinds = annotated_kinds(task_cls)
    for key, value in params.items():
        if "int" in kinds.get(key, ()) and is_whole(value):  # sizes and counts: bounded before any allocation
            check_limit("parameter", int(value), f"task {name}: parameter {key}")
    try:
        task = task_cls(**fixed, **params)
    except StateTrackError as err:  # the task's own message; `no` read as false gets the hint to quote it
        hint = next((bool_hint(v) for k, v in params.items() if isinstance(v, bool) and "str" in kinds.get(k, ())),
                    "")
        raise (StateTrackError(f"{err}{hint}") if hint else err) from None
    except Exception:
        error = type_error(name, params, kinds)
        if error is None:
            raise
        raise error from None
    error = type_error(name, params, kinds)  # a wrong type the task took silently (True as a count)
    if error is not None:
        raise error
    return task


class _Demo:  # for the docstring example
    def __init__(self, size: int = 1):
        self.items = list(range(size))

"""The one task registry. A family module registers its tasks at import with `register_task`."""

from __future__ import annotations

from collections.abc import Callable

from ..core.registry import Registry
from .base import Task, check_task_params
from .param_types import build_task

TASKS = Registry("task")


def register_task(name: str, task_cls: type[Task], **fixed) -> None:
    """Register ``name`` -> ``task_cls(**fixed, **user_params)``; unknown user parameters fail clearly."""
    TASKS.register(name, task_factory(name, task_cls, **fixed))


def task_factory(name: str, task_cls: type[Task], **fixed) -> Callable[..., Task]:
    def make(**params) -> Task:
        check_task_params(task_cls, name, params, fixed=fixed)
        return build_task(task_cls, name, fixed, params)

    make.family = task_cls.family
    return make


def list_tasks(family: str | None = None) -> list[str]:
    """Registered task names, optionally of one family (any group spec string is accepted too)."""
    return [n for n in TASKS.names() if family is None or TASKS.lookup(n).family == family]


def get_task(name: str, **params) -> Task:
    """The task called `name`, e.g. ``get_task("S5", generators="transpositions")``."""
    return TASKS.lookup(name)(**params)

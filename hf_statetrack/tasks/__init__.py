"""Tasks: every task is found by one name, the same string in CLI, YAML, dataset configs and files.

Each family module registers its tasks when imported here. Any group spec (``S6``, ``Z3_x_S3``,
``perm(2134,2341)``) also resolves to its word problem.
"""

from __future__ import annotations

from . import chomsky, flip_flop, formal_languages, word_problem, worded  # noqa: F401  (registration)
from .base import IGNORE, Batch, Task
from .registry import TASKS, get_task, list_tasks

__all__ = ["IGNORE", "TASKS", "Batch", "Task", "get_task", "list_tasks"]

"""Evaluating checkpoints on tasks, by length: our token checkpoints (`checkpoint`), any causal LM in
context (`incontext`), and `dispatch.evaluate_model`, which picks one (`statetrack eval`)."""

from .dispatch import evaluate_model

__all__ = ["evaluate_model"]

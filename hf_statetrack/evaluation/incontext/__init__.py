"""In-context evaluation of any causal LM (``statetrack eval`` on a Hub id or folder): `run` drives it,
`prompts` builds K-shot queries, `choice` scores candidate answers."""

from .run import evaluate_incontext

__all__ = ["evaluate_incontext"]

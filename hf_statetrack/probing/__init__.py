"""``statetrack probe``: `run` drives it; `features` collects hidden states at state positions, `fit` trains the
linear probes, `report` writes the outputs."""

from .run import CONTROLS, run_probe

__all__ = ["CONTROLS", "run_probe"]

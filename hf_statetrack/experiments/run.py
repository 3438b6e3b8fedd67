"""`run_experiment`: one experiment config -> trained model, results; from scratch or fine-tuning a
pretrained causal LM (``model: {pretrained: ...}``). The one entry point `statetrack train`, sweeps and
tests call."""

from __future__ import annotations

from .config import ExperimentConfig
from .finetune import run_finetune
from .pipeline import train_from_scratch


def run_experiment(cfg: ExperimentConfig) -> dict:
    """Train (or fine-tune), evaluate on validation / test and extra test lengths, write the outputs."""
    cfg.model.import_code()  # in a sweep's worker process the config arrives pickled, its imports not yet run
    return run_finetune(cfg) if cfg.model.pretrained else train_from_scratch(cfg)

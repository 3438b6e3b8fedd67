"""The ``state_tracking`` evaluate metric, shipped inside the package.

>>> import evaluate
>>> from hf_statetrack.metrics import METRIC_PATH, load_metric
>>> metric = load_metric()  # the same as evaluate.load(METRIC_PATH)

The metric is a thin `evaluate.Metric` over `hf_statetrack.stats.scoring.compute_metrics`, so both
give the same numbers. `evaluate` copies the module into its modules cache (``HF_MODULES_CACHE``)
and imports it from there; it works offline because the path is local.
"""

from __future__ import annotations

import os

METRIC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "state_tracking")


def load_metric(**kwargs):
    """``evaluate.load(METRIC_PATH, **kwargs)``, e.g. ``load_metric(keep_in_memory=True)``."""
    import evaluate  # deferred: importing evaluate is slow and only needed here

    return evaluate.load(METRIC_PATH, **kwargs)


__all__ = ["METRIC_PATH", "load_metric"]

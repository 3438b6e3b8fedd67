"""hf_statetrack: state-tracking tasks, metrics and training for the Hugging Face ecosystem.

>>> import hf_statetrack
>>> ds = hf_statetrack.load_dataset("S5", train_length=20, num_train=1000, num_test=100)

Importing the package registers the ``hf_statetrack`` dataset with `datasets` and stays light (no torch):
data work never pays for transformers. The model side loads on first use: `hf_statetrack.models` (which
every command that trains, evaluates or probes imports) registers our architectures with transformers'
Auto classes and gives transformers' Mamba the fast CPU scan; `mamba_hook` imports it as soon as
transformers loads its Mamba, so a stock ``MambaForCausalLM`` gets the fast scan after ``import hf_statetrack``.
"""

import importlib
import sys

from .core.errors import StateTrackError
from .core.version import __version__
from .data import load_dataset
from .data.registration import install_datasets_hook
from .metrics import load_metric
from .runtime.mamba_hook import install as install_mamba_hook
from .stats import scoring
from .tasks import get_task, list_tasks
from .text import text_view

# `hf_statetrack.scoring` is a public path (DESIGN.md): the module lives in stats/, and this one line makes
# `import hf_statetrack.scoring` and `from hf_statetrack.scoring import compute_metrics` find that same module.
sys.modules[f"{__name__}.scoring"] = scoring

install_datasets_hook()
install_mamba_hook()


def __getattr__(name: str):
    if name == "models":  # `hf_statetrack.models` without an import statement: torch loads here, not above
        return importlib.import_module(".models", __name__)
    raise AttributeError(f"module 'hf_statetrack' has no attribute {name!r}")


__all__ = ["StateTrackError", "__version__", "get_task", "list_tasks", "load_dataset", "load_metric", "scoring",
           "text_view"]

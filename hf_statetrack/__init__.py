"""hf_statetrack: state-tracking tasks, metrics and training for the Hugging Face ecosystem.

>>> import hf_statetrack
>>> ds = hf_statetrack.load_dataset("S5", train_length=20, num_train=1000, num_test=100)

Importing the package registers the ``hf_statetrack`` dataset with `datasets` and its model
architectures with transformers' Auto classes.
"""

from . import models  # noqa: F401  (registers the architectures with AutoConfig / AutoModel*)
from .data import load_dataset
from .data.registration import install_datasets_hook
from .errors import StateTrackError
from .metrics import load_metric
from .tasks import get_task, list_tasks
from .text import text_view

__version__ = "0.1.0"

install_datasets_hook()

__all__ = ["StateTrackError", "__version__", "get_task", "list_tasks", "load_dataset", "load_metric", "text_view"]

"""`statetrack eval`: pick the evaluator for a checkpoint. A token checkpoint of ours is scored directly
(`checkpoint`); any other causal LM (a Hub id, a folder, or one fine-tuned as text by our pipeline) in
context (`incontext`)."""

from __future__ import annotations

from ..core.errors import StateTrackError
from ..core.files import output_folder
from ..core.limits import check_number
from ..reporting.results import Results, check_results_folder
from ..runtime.checkpoints import default_output_dir, statetrack_metadata
from .incontext import evaluate_incontext
from .token_checkpoint import evaluate_checkpoint


def evaluate_model(model_path: str, task_name: str, test_lengths: list, *, shots: int | None = None,
                   mode: str | None = None, max_choices: int = 128, log_samples: bool = False,
                   batch_size: int | None = None, **common) -> Results:
    """`statetrack eval`: our token checkpoints as above; any other causal LM (a Hub id, a folder, or one
    fine-tuned as text by our pipeline) in context, see `incontext`."""
    check_counts(num_test=common.get("num_test", 1000), batch_size=batch_size, max_choices=max_choices)
    check_number(common.get("threshold", 0.9), "--threshold", 0, 1)
    out = output_folder(common.get("output_dir") or default_output_dir(model_path, task_name, "eval"), "--output-dir")
    check_results_folder(out, "eval")
    common["output_dir"] = str(out)
    meta = statetrack_metadata(model_path)
    if meta and meta.get("format", "token") == "token":
        if shots is not None or mode is not None or log_samples:
            raise StateTrackError(f"--shots, --mode and --log-samples are for causal LMs; {model_path} is a "
                                  f"statetrack token checkpoint, scored directly: drop them")
        return evaluate_checkpoint(model_path, task_name, test_lengths, meta=meta, batch_size=batch_size or 256,
                                   **common)
    return evaluate_incontext(model_path, task_name, test_lengths, meta=meta, shots=shots, mode=mode or "generate",
                              max_choices=max_choices, log_samples=log_samples, batch_size=batch_size or 16, **common)


def check_counts(**counts) -> None:
    """Counts given on the command line (or the Python API) are whole numbers >= 1, before any work."""
    for name, value in counts.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise StateTrackError(f"--{name.replace('_', '-')} must be a whole number >= 1, got {value!r}")

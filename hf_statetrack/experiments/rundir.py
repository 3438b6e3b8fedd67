"""Who owns an ``output_dir``, and which checkpoint a resumed run may continue from.

Every run stores its fingerprint, the resolved experiment config minus what may change between a run
and its resumption (`RESUMABLE`), as ``statetrack_run.json`` in ``output_dir`` and in every
``checkpoint-N`` folder (written after Trainer's files, so its presence marks a complete checkpoint).

* A run into a folder that holds another run (another fingerprint, or run files without one) is refused
  unless ``overwrite`` (``statetrack train --overwrite`` or ``overwrite: true``), which clears the folder.
* ``resume: true`` continues from the newest complete checkpoint; incomplete ones (a kill during a save)
  are skipped with one warning; a checkpoint of another config is refused; no checkpoint starts fresh.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from transformers import TrainerCallback
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from ..errors import StateTrackError
from ..results import atomic_write, check_writable
from .config import ExperimentConfig, resolved

RUN_FILE = "statetrack_run.json"
# May differ between a run and its resumption: where it is written, how long it trains (extending a run is
# allowed), when it logs, evaluates and saves, how the final evaluation is scored, and its torch threads.
RESUMABLE = {"output_dir", "resume", "overwrite", "evaluation", "threads"}
RESUMABLE_TRAINING = {"num_train_epochs", "max_steps", "logging_strategy", "logging_steps", "logging_first_step",
                      "logging_dir", "eval_strategy", "eval_steps", "save_strategy", "save_steps", "save_total_limit",
                      "report_to", "run_name", "disable_tqdm", "per_device_eval_batch_size", "dataloader_num_workers",
                      "eval_on_start", "eval_delay"}
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json", "adapter_model.safetensors", "adapter_model.bin")
RUN_MARKERS = ("results.json", "trainer_state.json")


def fingerprint(cfg: ExperimentConfig) -> dict:
    """The settings a checkpoint must share with the run that resumes it (training defaults included)."""
    data = {k: v for k, v in resolved(cfg.to_dict()).items() if k not in RESUMABLE}
    training = {**cfg.training_defaults(), **cfg.training}
    data["training"] = resolved({k: v for k, v in sorted(training.items()) if k not in RESUMABLE_TRAINING})
    return json.loads(json.dumps(data, default=str))


def read_fingerprint(folder: Path) -> dict | None:
    try:
        return json.loads((folder / RUN_FILE).read_text())["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_fingerprint(folder: Path, print_: dict) -> None:
    atomic_write(folder / RUN_FILE, json.dumps({"fingerprint": print_}, indent=2))


def differences(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ: {"training": {"learning_rate": 1}} vs ...: ["training.learning_rate"]."""
    keys = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            keys += differences(x, y, f"{prefix}{key}.")
        elif x != y:
            keys.append(f"{prefix}{key}")
    return keys


def checkpoints(output_dir: Path) -> list[Path]:
    """``checkpoint-N`` folders, newest (largest N) first: the one place that lists Trainer's checkpoints."""
    found = [p for p in output_dir.glob(f"{PREFIX_CHECKPOINT_DIR}-*")
             if p.is_dir() and p.name.rsplit("-", 1)[1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.rsplit("-", 1)[1]), reverse=True)


def is_complete(checkpoint: Path) -> bool:
    """Trainer writes trainer_state.json after the weights and optimizer; our run file comes after that."""
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    return any((checkpoint / name).is_file() for name in WEIGHT_FILES) and read_fingerprint(checkpoint) is not None


def holds_a_run(output_dir: Path) -> bool:
    return (output_dir / RUN_FILE).exists() or any((output_dir / m).exists() for m in RUN_MARKERS) or bool(
        checkpoints(output_dir))


def check_output_dir(cfg: ExperimentConfig) -> None:
    """Without touching anything: output_dir can be created and written, and holds no other run (unless
    overwrite). A sweep runs this for every run before training the first."""
    out, mine = Path(cfg.output_dir), fingerprint(cfg)
    check_writable(out, "output_dir")
    if cfg.overwrite or not (out.is_dir() and holds_a_run(out)):
        return
    theirs = read_fingerprint(out)
    if theirs != mine:
        what = (f"a run whose config differs in {', '.join(differences(mine, theirs)[:4])}" if theirs
                else "files of another run (results.json or checkpoints)")
        raise StateTrackError(f"output_dir {out} holds {what}; pass --overwrite (or set overwrite: true) to clear "
                              f"it, or choose another output_dir")


def claim_output_dir(cfg: ExperimentConfig) -> None:
    """Check output_dir, clear it if overwrite, create it and store this run's fingerprint."""
    check_output_dir(cfg)
    out = Path(cfg.output_dir)
    if cfg.overwrite and out.is_dir() and holds_a_run(out):
        here = Path.cwd().resolve()
        if out.resolve() in (here, *here.parents, Path.home().resolve()):
            raise StateTrackError(f"overwrite would delete {out}, the working directory, one of its parents or the "
                                  f"home folder; choose a dedicated output_dir")
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_fingerprint(out, fingerprint(cfg))
    except OSError as err:
        raise StateTrackError(f"output_dir {out} cannot be written ({err.strerror}); choose another "
                              f"output_dir") from None


def resume_checkpoint(cfg: ExperimentConfig) -> str | None:
    """The checkpoint a ``resume: true`` run continues from, or None (no resume, or nothing to resume)."""
    if not cfg.resume:
        return None
    found = checkpoints(Path(cfg.output_dir))
    complete = [c for c in found if is_complete(c)]
    skipped = [c.name for c in found[:found.index(complete[0])]] if complete else [c.name for c in found]
    if skipped:
        print(f"warning: skipping incomplete checkpoint(s) {', '.join(skipped)} in {cfg.output_dir} (interrupted "
              f"during a save){'; resuming from ' + complete[0].name if complete else ''}", file=sys.stderr)
    if not complete:
        print(f"resume: no complete checkpoint in {cfg.output_dir}; starting from step 0", file=sys.stderr)
        return None
    theirs, mine = read_fingerprint(complete[0]), fingerprint(cfg)
    if theirs != mine:
        raise StateTrackError(f"resume: {complete[0]} was trained with another config (differs in "
                              f"{', '.join(differences(mine, theirs)[:4])}); restore those values, or pass "
                              f"--overwrite to start over")
    return str(complete[0])


class FingerprintCheckpoints(TrainerCallback):
    """Write the run's fingerprint into each checkpoint once Trainer has saved it (marks it complete)."""

    def __init__(self, print_: dict):
        self.print_ = print_

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            write_fingerprint(folder, self.print_)

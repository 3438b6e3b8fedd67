"""Who owns an ``output_dir``, what "the same run" means, and which checkpoint a resumed run may continue from.

The one definition of the same run: `identity`, the resolved experiment config without how and where it was
started (`STARTED`). Every run also stores its fingerprint, the identity minus what may change between a run
and its resumption (`RESUMABLE`), as ``statetrack_run.json`` in ``output_dir`` and in every ``checkpoint-N``
folder (written after Trainer's files, so its presence marks a complete checkpoint).

Nothing the user made is replaced without ``overwrite`` (``--overwrite`` or ``overwrite: true``, which clears
the folder):

* ``output_dir`` is checked resolved (``~``, ``..``, symlinks; `files.output_folder`): never the working
  directory, its parents or home, a file, read-only, or a name too long.
* A folder holding a finished run (results.json) is retrained only by the same run, or one that trains longer
  (`EXTENDABLE` raised); anything else (cadence too) is refused.
* A folder holding an unfinished run (checkpoints), or any run with ``resume: true``, takes a run of the same
  fingerprint.
* No run, resumed or not, may train less than the folder's run has (resumed, it would republish the longer
  trained model under the shorter config; not resumed, replace it).
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

from ..core.errors import StateTrackError
from ..core.files import atomic_write, output_folder
from ..reporting.results import Results
from .config import ExperimentConfig, resolved
from .runlock import LOCK_FILE

RUN_FILE = "statetrack_run.json"
# How and where a run was started, never what it is: output_dir too (the results sit in that folder however it
# was spelled, or wherever it was moved).
STARTED = ("output_dir", "resume", "overwrite", "threads")
# Training keys a run may raise to extend a finished or interrupted run (never lower).
EXTENDABLE = ("max_steps", "num_train_epochs")
# May differ between a checkpoint and the run that resumes it: how it was started, how long it trains, when it
# logs, evaluates and saves, and how the final evaluation is scored.
RESUMABLE = {*STARTED, "evaluation"}
RESUMABLE_TRAINING = {*EXTENDABLE, "logging_strategy", "logging_steps", "logging_first_step",
                      "logging_dir", "eval_strategy", "eval_steps", "save_strategy", "save_steps", "save_total_limit",
                      "report_to", "run_name", "disable_tqdm", "per_device_eval_batch_size", "dataloader_num_workers",
                      "eval_on_start", "eval_delay"}
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json", "adapter_model.safetensors", "adapter_model.bin")
RUN_MARKERS = ("results.json", "trainer_state.json")


def identity(experiment: dict) -> dict:
    """What makes two runs the same run: the resolved config without how it was started, and without unset
    (None) fields, so a field a newer release adds with a None default does not make old runs look different."""
    def without_none(value):
        if isinstance(value, dict):
            return {k: without_none(v) for k, v in value.items() if v is not None}
        return value
    return without_none({k: v for k, v in experiment.items() if k not in STARTED})


def experiment(cfg: ExperimentConfig) -> dict:
    """The resolved config as a results record stores it (settings.experiment)."""
    return json.loads(json.dumps(resolved(cfg.to_dict()), default=str))


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


def finished_run(output_dir: str | Path) -> Results | None:
    """The results of the training run finished in `output_dir`, if any."""
    path = Path(output_dir) / "results.json"
    try:
        results = Results.read(path) if path.is_file() else None
    except StateTrackError:
        return None  # unreadable: not finished
    return results if results is not None and results.kind in ("train", "finetune") else None


def stale(cfg: ExperimentConfig) -> bool:
    """`output_dir` holds an interrupted run (no results) of another config: what a sweep may clear, since
    nothing finished is lost (an edited sweep that was killed)."""
    out = Path(cfg.output_dir)
    return (out.is_dir() and holds_a_run(out) and finished_run(out) is None
            and read_fingerprint(out) != fingerprint(cfg))


def check_output_dir(cfg: ExperimentConfig) -> Path:
    """Without touching anything: output_dir can be created and written, and holds no other run and no longer
    trained one (unless overwrite); returns it resolved. A sweep runs this for every run before training the
    first."""
    out = output_folder(cfg.output_dir, "output_dir")
    if cfg.overwrite or not (out.is_dir() and holds_a_run(out)):
        return out
    done = finished_run(out)
    what = other_run(cfg, out, done)
    if what:
        raise StateTrackError(f"output_dir {out} holds {what}; pass --overwrite (or set overwrite: true) to replace "
                              f"it, or choose another output_dir")
    check_length(cfg, out, done)
    return out


def other_run(cfg: ExperimentConfig, out: Path, done: Results | None) -> str | None:
    """What `out` (whose finished run is `done`, if any) holds instead of `cfg`'s run, in words; None when it
    holds `cfg`'s run."""
    if done is not None and not cfg.resume:  # retrained from scratch: only the same config (trained longer)
        defaults = cfg.training_defaults()
        ours, theirs = (identity({**e, "training": {**defaults, **(e.get("training") or {})}})
                        for e in (experiment(cfg), done.settings.get("experiment") or {}))
        changed = [k for k in differences(ours, theirs) if k.removeprefix("training.") not in EXTENDABLE]
        return f"a run whose config differs in {', '.join(changed[:4])} (finished)" if changed else None
    mine, theirs = fingerprint(cfg), read_fingerprint(out)
    if theirs is None:
        return "files of another run (results.json or checkpoints)"
    return None if theirs == mine else f"a run whose config differs in {', '.join(differences(mine, theirs)[:4])}"


def trained_so_far(out: Path, done: Results | None) -> tuple[int, float] | None:
    """(steps, epochs) the run in `out` has trained: from its results `done`, else its newest complete
    checkpoint."""
    if done is not None and done.train:
        return int(done.train.get("steps") or 0), float(done.train.get("epochs") or 0.0)
    for checkpoint in (c for c in checkpoints(out) if is_complete(c)):
        state = json.loads((checkpoint / "trainer_state.json").read_text())
        return int(state.get("global_step") or 0), float(state.get("epoch") or 0.0)
    return None


def check_length(cfg: ExperimentConfig, out: Path, done: Results | None) -> None:
    """A run may extend the run in `out` but never train less: resumed, Trainer would stop at once and
    republish the longer trained model under the shorter config; not resumed, it would replace it."""
    so_far = trained_so_far(out, done)
    if so_far is None:
        return
    steps, epochs = so_far
    training = {**cfg.training_defaults(), **cfg.training}
    max_steps = training.get("max_steps") or -1
    key, value, done = (("max_steps", max_steps, steps) if max_steps > 0 else
                        ("num_train_epochs", training.get("num_train_epochs"), epochs))
    if value is not None and value < done - 1e-6:
        raise StateTrackError(f"output_dir {out} holds a run trained to step {steps} (epoch {epochs:.3g}); "
                              f"training.{key} {value} would shorten it: set training.{key} to at least "
                              f"{done:.4g} (with resume: true to extend it), pass --overwrite to replace it, or "
                              f"choose another output_dir")


def claim_output_dir(cfg: ExperimentConfig) -> None:
    """Check output_dir, clear it if overwrite, create it and store this run's fingerprint."""
    out = check_output_dir(cfg)
    if cfg.overwrite and out.is_dir() and holds_a_run(out):
        clear(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_fingerprint(out, fingerprint(cfg))
    except OSError as err:
        raise StateTrackError(f"output_dir {out} cannot be written ({err.strerror}); choose another "
                              f"output_dir") from None


def clear(out: Path) -> None:
    """Everything in `out` but the run lock, which a process waiting for this run holds open."""
    for entry in out.iterdir():
        if entry.name == LOCK_FILE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


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

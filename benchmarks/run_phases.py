"""Where one small run spends its time: imports, data, model build, training steps, evaluation, saving, writing.

    .venv/bin/python benchmarks/run_phases.py                       # the first run of the Sarrof CPU reproduction
    .venv/bin/python benchmarks/run_phases.py --config eval_configs/reproduce/illusion_of_state-cpu.yaml --point 2
    .venv/bin/python benchmarks/run_phases.py --set training.num_train_epochs=1 --json phases.json

One run of a sweep config (its `--point`-th grid point, seed 0, one torch thread, a fresh temporary output
folder and datasets cache) trained in this process with `run.run_experiment`, as a sweep's run is, with timers
wrapped around the pipeline's own functions (nothing is re-implemented here):

* ``imports``: importing the training pipeline (torch, transformers, datasets, the package), done once per
  process: a sweep's worker process pays it once, not per run;
* ``data (cold)`` / ``data``: `pipeline.task_splits` generating the splits into the empty cache, then the same
  call again as the run makes it (a sweep generates every run's data before training, in `SweepConfig.check`, so a
  run reads the cache);
* ``setup``: `pipeline.prepare_run` (claim the folder, TrainingArguments, seeding);
* ``model build``: `pipeline.make_trainer` (the model and the Trainer);
* ``training steps``: `Trainer.train` less the evaluations inside it;
* ``evaluation during training``: `Trainer.evaluate` calls from inside training (``eval_strategy``);
* ``save model``: `pipeline.save_model`;
* ``final evaluation``: `pipeline.evaluate_split` on every split but train;
* ``results files`` / ``results plot``: `Results.write` (JSON and Markdown), and its accuracy-by-length plot;
* ``other``: the run's wall time less all of the above.

Shares are of the run's wall time (``run`` = `run_experiment` from call to return, imports not included).
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "eval_configs" / "reproduce" / "sarrof_formal_languages-cpu.yaml"


class Timers:
    """Seconds per phase, from functions wrapped in place (``wrap(module, "name", "phase")``)."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.active: list[str] = []

    def wrap(self, owner, name: str, phase: str) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            self.active.append(phase)
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - start
                self.active.pop()

        setattr(owner, name, timed)

    def inside(self, phase: str) -> bool:
        return phase in self.active


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(DEFAULT), help="a sweep config (default: the Sarrof CPU one)")
    parser.add_argument("--point", type=int, default=0, help="which grid point (default: the first)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override (repeatable)")
    parser.add_argument("--json", metavar="PATH", help="also write the phases as JSON")
    return parser.parse_args(argv)


def profile(args: argparse.Namespace, work: Path) -> dict[str, float]:
    os.environ["HF_HOME"] = str(work / "hf_home")  # an empty datasets cache: the cold generation is measured
    before = time.perf_counter()
    import torch
    from transformers import Trainer

    from hf_statetrack.experiments import pipeline
    from hf_statetrack.experiments.run import run_experiment
    from hf_statetrack.experiments.sweep import load_sweep
    from hf_statetrack.reporting import results as results_module

    timers = Timers()
    timers.seconds["imports"] = time.perf_counter() - before
    torch.set_num_threads(1)
    cfg = load_sweep(args.config, args.set).points()[args.point].config(work / "out", 0)
    print(f"run: {Path(cfg.output_dir).parent.name} seed 0 of {args.config}", flush=True)
    start = time.perf_counter()
    pipeline.task_splits(cfg)
    timers.seconds["data (cold)"] = time.perf_counter() - start

    for owner, name, phase in ((pipeline, "task_splits", "data"), (pipeline, "prepare_run", "setup"),
                               (pipeline, "make_trainer", "model build"), (Trainer, "train", "train"),
                               (Trainer, "evaluate", "evaluate"), (pipeline, "save_model", "save model"),
                               (pipeline, "evaluate_split", "final evaluation"),
                               (results_module.Results, "write", "write"),
                               (results_module, "plot_splits", "results plot")):
        timers.wrap(owner, name, phase)
    start = time.perf_counter()
    run_experiment(cfg)
    seconds = dict(timers.seconds, run=time.perf_counter() - start)
    seconds["training steps"] = seconds.pop("train") - seconds.get("evaluate", 0.0)
    seconds["evaluation during training"] = seconds.pop("evaluate", 0.0)
    seconds["results files"] = seconds.pop("write") - seconds.get("results plot", 0.0)
    inside = ("data", "setup", "model build", "training steps", "evaluation during training", "save model",
              "final evaluation", "results files", "results plot")
    seconds["other"] = seconds["run"] - sum(seconds.get(k, 0.0) for k in inside)
    return seconds


def table(seconds: dict[str, float]) -> str:
    run = seconds["run"]
    order = ["imports", "data (cold)", "data", "setup", "model build", "training steps", "evaluation during training",
             "save model", "final evaluation", "results files", "results plot", "other", "run"]
    lines = ["| phase | s | share of the run |", "|---|---:|---:|"]
    for phase in order:
        value = seconds.get(phase, 0.0)
        share = "" if phase in ("imports", "data (cold)") else f"{100 * value / run:.1f} %"
        lines.append(f"| {phase} | {value:.2f} | {share} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    with tempfile.TemporaryDirectory(prefix="run_phases-") as work:
        seconds = profile(args, Path(work))
    print(table(seconds))
    print(f"(load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; script start to end "
          f"{time.perf_counter() - START:.1f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(seconds, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()

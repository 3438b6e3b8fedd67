"""`statetrack train` wall time with the old thread setup and the new one, alone and beside a busy process.

    .venv/bin/python benchmarks/threads.py                      # 2 rounds, about 5-10 minutes on 2 cores
    .venv/bin/python benchmarks/threads.py --rounds 1 --json threads.json

One run is the quickstart's Mamba point made small (A5, 2-layer Mamba, hidden 64, lengths 1..10, 4,000 rows,
1 epoch), trained in a fresh process as `statetrack train` does it. Three setups:

* `before`: what `statetrack train` did before issue 20: no thread choice (torch takes one thread per core)
  and OpenMP's default wait policy (idle threads spin a while before they sleep);
* `2 threads`: today's command with ``--threads 2``: the old count, idle threads sleep (OMP_WAIT_POLICY=PASSIVE);
* `auto`: today's command as is: the thread count chosen from the free cores, printed at start.

Each under two loads: `alone`, and `busy` (one Python busy loop on a core for the whole run). The setups
take turns within each round, so a change in the machine's load hits all of them alike; the table gives the
median over rounds of the whole process's wall time and of Trainer's train_runtime.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from report_footer import print_footer

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {
    "task": {"name": "A5", "train_length": [1, 10], "num_train": 4000, "num_validation": 100, "num_test": 200},
    "model": {"preset": "mamba", "num_layers": 2, "hidden_size": 64},
    "training": {"num_train_epochs": 1, "learning_rate": 1.0e-3, "per_device_train_batch_size": 32,
                 "eval_strategy": "no", "disable_tqdm": True, "logging_strategy": "no"},
}
BEFORE = ("from hf_statetrack.experiments.config import load_config\n"
          "from hf_statetrack.experiments.run import run_experiment\n"
          "import sys\nrun_experiment(load_config(sys.argv[1], ['overwrite=true']))")
SETUPS = {
    "before": lambda cfg: [sys.executable, "-c", BEFORE, cfg],
    "2 threads": lambda cfg: [sys.executable, "-m", "hf_statetrack", "train", cfg, "--overwrite", "--threads", "2"],
    "auto": lambda cfg: [sys.executable, "-m", "hf_statetrack", "train", cfg, "--overwrite"],
}
LOADS = ("alone", "busy")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--setups", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--json", metavar="PATH")
    return parser.parse_args(argv)


def one_run(setup: str, folder: Path) -> dict:
    """Train once in a fresh process; wall seconds, train_runtime and the [threads] line (if printed)."""
    cfg = folder / "run.yaml"
    cfg.write_text(yaml.safe_dump({**CONFIG, "output_dir": str(folder / "out")}))
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    start = time.perf_counter()
    out = subprocess.run(SETUPS[setup](str(cfg)), env=env, capture_output=True, text=True, cwd=folder)
    wall = time.perf_counter() - start
    if out.returncode:
        raise SystemExit(f"{setup} failed:\n{out.stderr[-2000:]}")
    results = json.loads((folder / "out" / "results.json").read_text())
    line = next((x for x in out.stdout.splitlines() if x.startswith("[threads]")), "")
    return {"wall_s": wall, "train_s": results["train"]["runtime_s"], "threads": results["settings"].get(
        "torch_threads"), "line": line}


def measure(args: argparse.Namespace) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="threads-bench-") as tmp:
        for round_ in range(args.rounds):
            for load in LOADS:
                busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load == "busy" else None
                try:
                    for setup in args.setups:
                        loadavg = os.getloadavg()[0]
                        row = {"round": round_, "load": load, "setup": setup, "loadavg_1min": loadavg,
                               **one_run(setup, Path(tmp))}
                        print(json.dumps(row), flush=True)
                        rows.append(row)
                finally:
                    if busy is not None:
                        busy.kill()
                        busy.wait()
    return rows


def table(rows: list[dict], setups: list[str]) -> str:
    lines = ["| setup | load | torch threads | wall s (median) | train s (median) | runs |",
             "|---|---|---|---|---|---|"]
    for load in LOADS:
        for setup in setups:
            mine = [r for r in rows if r["setup"] == setup and r["load"] == load]
            threads = sorted({str(r["threads"]) for r in mine})
            lines.append(f"| {setup} | {load} | {'/'.join(threads)} | "
                         f"{statistics.median(r['wall_s'] for r in mine):.1f} | "
                         f"{statistics.median(r['train_s'] for r in mine):.1f} | {len(mine)} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = measure(args)
    print(f"\n{table(rows, args.setups)}\n")
    print_footer(start, f"{args.rounds} rounds", rows, "line", args.json)


if __name__ == "__main__":
    main()

"""Sweeps on every core: `statetrack sweep` one run after another vs ``--max-parallel auto`` (worker processes)
vs Ray ``--max-parallel 2``, on the quickstart (8 runs) and on one CPU reproduction, in interleaved rounds.

    .venv/bin/python benchmarks/parallel.py          # 2 rounds: an estimated 30-35 min on 2 quiet cores (45 with Ray)
    .venv/bin/python benchmarks/parallel.py --sweeps quickstart --rounds 3 --json parallel.json
    .venv/bin/python benchmarks/parallel.py --tiny --rounds 1  # every setup end to end in a few minutes (no figures)

Sweeps:

* ``quickstart``: eval_configs/quickstart.yaml as `make demo` runs it (8 runs, ``threads: 1``);
* ``sarrof``: eval_configs/reproduce/sarrof_formal_languages-cpu.yaml, the cheapest CPU reproduction, on 4 of
  its 8 languages (tomita4, d2, parity, dyck1: star-free, non-star-free and counter) x depths 1-3: 12 runs.

Setups, each a fresh ``python -m hf_statetrack sweep`` process into a fresh output folder and datasets cache
(nothing is read back), all with ``--threads 1`` (one thread was the fastest choice for these small models,
benchmarks/README.md "Threads", and it makes every setup train the same numbers):

* ``sequential``: ``--max-parallel 1``, the runs one after another in the sweep's process;
* ``auto``: ``--max-parallel auto``, as many worker processes as free cores (its ``[launcher]`` line says how
  many it chose: on a busy machine auto may choose 1);
* ``ray``: ``--launcher ray --max-parallel 2 --cpus-per-run 1``; skipped, with a line saying so, when Ray is not
  installed (``pip install 'hf-statetrack[ray]'``);
* ``two`` (only when asked, ``--setups sequential two``): ``--max-parallel 2`` whatever the load.

A round runs every setup of every sweep in turn, so a change in the machine's load falls on all of them alike.
The table gives the median wall time over rounds, its ratio to ``sequential`` (the target: at most 0.6 on 2
cores) and whether the setup's summary.json equals sequential's (training times left out).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report_footer import print_footer

ROOT = Path(__file__).resolve().parents[1]
SARROF_SUBSET = "sweep={task.name: [tomita4, d2, parity, dyck1], model.num_layers: [1, 2, 3]}"
SWEEPS = {
    "quickstart": (ROOT / "eval_configs" / "quickstart.yaml", []),
    "sarrof": (ROOT / "eval_configs" / "reproduce" / "sarrof_formal_languages-cpu.yaml", [SARROF_SUBSET]),
}
# --tiny: a few steps on small data, only to check that every setup runs end to end
TINY = ["training.max_steps=20", "task.num_train=500", "task.num_validation=50", "task.num_test=100"]
TINY_SARROF = ["sweep={task.name: [tomita4, parity], model.num_layers: [1, 2]}", "evaluation.test_lengths=[]"]
SETUPS = {
    "sequential": ["--max-parallel", "1"],
    "auto": ["--max-parallel", "auto"],
    "ray": ["--launcher", "ray", "--max-parallel", "2", "--cpus-per-run", "1"],
    "two": ["--max-parallel", "2"],  # not by default: two workers whatever the load (auto may choose fewer)
}
DEFAULT_SETUPS = ["sequential", "auto", "ray"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sweeps", nargs="+", default=list(SWEEPS), choices=list(SWEEPS))
    parser.add_argument("--setups", nargs="+", default=DEFAULT_SETUPS, choices=list(SETUPS))
    parser.add_argument("--tiny", action="store_true", help="tiny runs: checks the script, measures nothing")
    parser.add_argument("--json", metavar="PATH", help="also write every row as JSON")
    return parser.parse_args(argv)


def overrides(sweep: str, tiny: bool) -> list[str]:
    sets = SWEEPS[sweep][1] + (TINY + (TINY_SARROF if sweep == "sarrof" else []) if tiny else [])
    return [arg for value in sets for arg in ("--set", value)]


def one_sweep(sweep: str, setup: str, folder: Path, tiny: bool) -> dict:
    """One `statetrack sweep` in a fresh process: wall seconds, the summary (without times), the launcher line."""
    out = folder / "out"
    command = [sys.executable, "-m", "hf_statetrack", "sweep", str(SWEEPS[sweep][0]), "--output-dir", str(out),
               "--threads", "1", *SETUPS[setup], *overrides(sweep, tiny)]
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "HF_DATASETS_CACHE")}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]), HF_HOME=str(folder / "hf_home"),
               HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=folder)
    wall = time.perf_counter() - start
    (folder / "log.txt").write_text(done.stdout + done.stderr)
    if done.returncode:
        raise SystemExit(f"{sweep} / {setup} failed (exit {done.returncode}); log: {folder / 'log.txt'}\n"
                         f"{done.stderr[-2000:]}")
    summary = json.loads((out / "summary.json").read_text())
    slim = {name: {k: v for k, v in point.items() if k != "train_runtime_s"} for name, point in summary.items()}
    launcher = next((x for x in done.stdout.splitlines() if x.startswith("[launcher]")), "")
    return {"wall_s": wall, "summary": slim, "launcher": launcher, "runs": len(summary)}


def measure(args: argparse.Namespace, setups: list[str], work: Path) -> list[dict]:
    rows = []
    for round_ in range(args.rounds):
        for sweep in args.sweeps:
            for setup in setups:
                folder = work / f"{sweep}-{setup}-{round_}"
                folder.mkdir()
                row = {"round": round_, "sweep": sweep, "setup": setup, "loadavg_1min": os.getloadavg()[0],
                       **one_sweep(sweep, setup, folder, args.tiny)}
                print(json.dumps({k: v for k, v in row.items() if k != "summary"}), flush=True)
                rows.append(row)
    return rows


def table(rows: list[dict], sweeps: list[str], setups: list[str]) -> str:
    lines = ["| sweep | setup | runs | wall s per round | median s | x sequential | same summary |",
             "|---|---|---:|---|---:|---:|---|"]
    for sweep in sweeps:
        base = [r for r in rows if r["sweep"] == sweep and r["setup"] == "sequential"]
        base_median = statistics.median(r["wall_s"] for r in base) if base else None
        for setup in setups:
            mine = [r for r in rows if r["sweep"] == sweep and r["setup"] == setup]
            median = statistics.median(r["wall_s"] for r in mine)
            ratio = f"{median / base_median:.2f}" if base_median else "n/a"
            same = "n/a" if not base else "yes" if all(r["summary"] == base[0]["summary"] for r in mine) else "NO"
            walls = " / ".join(f"{r['wall_s']:.0f}" for r in mine)
            lines.append(f"| {sweep} | {setup} | {mine[0]['runs']} | {walls} | {median:.0f} | {ratio} | {same} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    setups = list(args.setups)
    if "ray" in setups and importlib.util.find_spec("ray") is None:
        print("ray: skipped (Ray is not installed here: pip install 'hf-statetrack[ray]')", flush=True)
        setups.remove("ray")
    start = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="parallel-bench-") as tmp:
        rows = measure(args, setups, Path(tmp))
    print(f"\n{table(rows, args.sweeps, setups)}\n")
    rounds = f"{args.rounds} round{'s' * (args.rounds != 1)}{' (--tiny: not a measurement)' * args.tiny}"
    print_footer(start, rounds, rows, "launcher", args.json, before="the sweeps")


if __name__ == "__main__":
    main()

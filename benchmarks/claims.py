"""Numbers quoted in eval configs regenerate themselves: measure them over seeds, write them, check them.

    .venv/bin/python benchmarks/claims.py measure eval_configs/a5-ids4.yaml --seeds 0 1 2   # runs, then writes
    .venv/bin/python benchmarks/claims.py write eval_configs/a5-ids4.yaml --seeds 0 1 2     # from existing runs
    .venv/bin/python benchmarks/claims.py tables                      # docs tables from the blocks, no runs
    .venv/bin/python benchmarks/claims.py check                       # `make claims`: every config, re-run
    .venv/bin/python benchmarks/claims.py check --no-run              # compare runs already on disk

`measure` runs ``statetrack sweep <config> --set task.seed=S --set output_dir=outputs/claims/<name>/seed<S>``
for each seed (task.seed is also the training seed), then `write` reads each seed's run folders and
replaces the config's ``# Measured:`` block. The block is YAML inside comments: per run and metric the
per-seed values in seed order, with mean and range as a trailing comment for the reader::

    # Measured: (benchmarks/claims.py; do not edit; seeds 0 1 2 on 2 CPU cores, 2026-12-01)
    #   seeds: [0, 1, 2]
    #   A5-ids4-L1-H64:
    #     test.token_accuracy: [100.0, 100.0, 99.9]   # mean 99.97, range 99.9..100.0

Metrics are ``<split>.<key>`` of the runs' `Results.splits` (accuracies in %, ``max_length_at_threshold``
in positions), plus ``train.runtime_s`` (reported, never checked: it depends on the machine).
`write` also regenerates every docs region ``<!-- measured: eval_configs/<name>.yaml -->`` .. (in docs/*.md)
``<!-- /measured -->`` from the block: a table of mean ± std (min..max) over the seeds, one column per run;
`tables` does only that, from the blocks already in the configs (no run is read or started).
`check` re-runs the listed seeds and fails where a re-run's seed mean leaves the stated range
[min, max] widened by ``--tolerance`` (accuracy points; lengths: ``--length-tolerance`` positions).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path
from statistics import mean, stdev

import yaml

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# Measured:"
METRICS = ("token_accuracy", "sequence_accuracy", "final_state_accuracy", "max_length_at_threshold",
           "binned_max_length_at_threshold")
UNCHECKED = ("train.runtime_s",)


# ----------------------------------------------------------------------------- the block


def block_span(lines: list[str]) -> tuple[int, int] | None:
    """(first, end) line indices of the Measured block: the marker line and the '#   ' lines after it."""
    start = next((i for i, line in enumerate(lines) if line.startswith(MARKER)), None)
    if start is None:
        return None
    end = start + 1
    while end < len(lines) and lines[end].startswith("#   "):
        end += 1
    return start, end


def parse_block(text: str) -> dict | None:
    """The Measured block of a config's text as {"seeds": [...], run: {metric: [values per seed]}}, or None.

    >>> parse_block("# Measured: (x)\\n#   seeds: [0, 1]\\n#   r:\\n#     test.token_accuracy: [99.0, 97.0]  # m")
    {'seeds': [0, 1], 'r': {'test.token_accuracy': [99.0, 97.0]}}
    """
    lines = text.splitlines()
    span = block_span(lines)
    if span is None:
        return None
    body = yaml.safe_load("\n".join(line[3:] for line in lines[span[0] + 1:span[1]])) or {}
    seeds = body.get("seeds")
    if not isinstance(seeds, list) or not seeds:
        raise ValueError("Measured block needs 'seeds: [..]' (the task.seed values the numbers come from)")
    for run, metrics in body.items():
        if run == "seeds":
            continue
        for metric, values in (metrics or {}).items():
            if not isinstance(values, list) or len(values) != len(seeds):
                raise ValueError(f"Measured block: {run} {metric} needs one value per seed ({len(seeds)})")
    return body


def spread(values: list[float]) -> str:
    return f"mean {mean(values):.4g}, range {min(values):.4g}..{max(values):.4g}"


def format_block(measured: dict, note: str) -> list[str]:
    """The comment lines of a Measured block (inverse of `parse_block`)."""
    lines = [f"{MARKER} ({note})", f"#   seeds: {measured['seeds']}"]
    for run, metrics in measured.items():
        if run == "seeds":
            continue
        lines.append(f"#   {run}:")
        for metric, values in metrics.items():
            lines.append(f"#     {metric}: [{', '.join(f'{v:g}' for v in values)}]   # {spread(values)}")
    return lines


def replace_block(text: str, block: list[str]) -> str:
    """Put `block` where the old Measured block was, or just before the first non-comment line."""
    lines = text.splitlines()
    span = block_span(lines)
    if span is None:
        first = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
        span = (first, first)
    return "\n".join(lines[:span[0]] + block + lines[span[1]:]) + "\n"


def cell(values: list[float]) -> str:
    """Mean ± std (ddof 1) (min..max) over the seeds; the mean alone when every seed gave the same value.

    >>> cell([90.0, 99.5]), cell([64.0, 64.0])
    ('94.8 ± 6.7 (90..99.5)', '64.0')
    """
    low, high = round(min(values), 1), round(max(values), 1)
    if low == high:
        return f"{mean(values):.1f}"
    return f"{mean(values):.1f} ± {stdev(values):.1f} ({low:g}..{high:g})"


def markdown_table(measured: dict) -> list[str]:
    """Rows: metrics (validation left out: the block has it); columns: runs; cells: mean (min..max) over seeds."""
    runs = [r for r in measured if r != "seeds"]
    seeds = " ".join(map(str, measured["seeds"]))
    lines = [f"| seeds {seeds}: mean ± std (min..max) | {' | '.join(runs)} |", "|---" + "|---:" * len(runs) + "|"]
    for metric in (m for m in measured[runs[0]] if not m.startswith("validation.")):
        name = metric.replace(".", " ").replace("_", " ").replace("binned max length at", "longest length over bins at")
        name = name.replace("max length at", "longest length at")
        name += " %" if metric.endswith("accuracy") else ""
        lines.append(f"| {name} | {' | '.join(cell(measured[r].get(metric, [0])) for r in runs)} |")
    return lines


def replace_region(text: str, config: str, table: list[str]) -> str:
    """Replace the lines between ``<!-- measured: config -->`` and the next ``<!-- /measured -->``."""
    pattern = re.compile(rf"(<!-- measured: {re.escape(config)} -->\n).*?(<!-- /measured -->)", re.S)
    return pattern.sub(lambda m: m.group(1) + "\n".join(table) + "\n" + m.group(2), text)


# ----------------------------------------------------------------------------- numbers from runs


def run_metrics(summary_run: dict) -> dict[str, float]:
    """{"test.token_accuracy": 99.9 (%), "test.max_length_at_threshold": 40, "train.runtime_s": 150, ...}."""
    out = {}
    for split, metrics in summary_run["splits"].items():
        for key in METRICS:
            value = metrics.get(key)
            if value is not None:
                out[f"{split}.{key}"] = round(100 * value, 2) if key.endswith("accuracy") else value
    out["train.runtime_s"] = round(summary_run["train"]["runtime_s"])
    return out


def collect(summaries: list[dict], seeds: list[int]) -> dict:
    """Per-seed sweep summaries -> {"seeds": seeds, run: {metric: [value per seed]}}."""
    measured: dict = {"seeds": list(seeds)}
    for run in summaries[0]:
        per_seed = [run_metrics(s[run]) for s in summaries]  # a metric some seed lacks (None) is left out
        measured[run] = {m: [p[m] for p in per_seed] for m in per_seed[0] if all(m in p for p in per_seed)}
    return measured


def compare(stated: dict, rerun: dict, tolerance: float = 1.0, length_tolerance: float = 1.0) -> list[str]:
    """One line per checked number that left its stated range; empty when every claim holds.

    >>> compare({"seeds": [0, 1], "r": {"test.token_accuracy": [90.0, 94.0]}},
    ...         {"seeds": [0, 1], "r": {"test.token_accuracy": [80.0, 84.0]}})
    ['r test.token_accuracy: re-run mean 82 outside the stated range 90..94 (tolerance 1)']
    """
    failures = []
    for run, metrics in stated.items():
        if run == "seeds":
            continue
        for metric, values in metrics.items():
            if metric in UNCHECKED:
                continue
            new = rerun.get(run, {}).get(metric)
            if new is None:
                failures.append(f"{run} {metric}: not in the re-run")
                continue
            tol = length_tolerance if metric.endswith("max_length_at_threshold") else tolerance
            if not min(values) - tol <= mean(new) <= max(values) + tol:
                failures.append(f"{run} {metric}: re-run mean {mean(new):g} outside the stated range "
                                f"{min(values):g}..{max(values):g} (tolerance {tol:g})")
    return failures


# ----------------------------------------------------------------------------- running


def seed_dir(out: Path, config: Path, seed: int) -> Path:
    return out / config.stem / f"seed{seed}"


def load_runs(folder: Path, seed: int) -> dict[str, dict]:
    """A seed's sweep, read from its run folders: point name -> that run's results.json record."""
    runs = {path.parents[1].name: json.loads(path.read_text())
            for path in sorted(folder.glob(f"*/seed{seed}/results.json"))}
    if not runs:
        raise SystemExit(f"no runs in {folder}: run `benchmarks/claims.py measure` first")
    return runs


def run_seeds(config: Path, seeds: list[int], out: Path, extra: list[str], rerun: bool) -> list[dict]:
    """One `statetrack sweep` per seed (skipped where summary.json exists, unless rerun); the summaries."""
    summaries = []
    for seed in seeds:
        folder = seed_dir(out, config, seed)
        if rerun or not (folder / "summary.json").is_file():
            command = [str(Path(sys.executable).parent / "statetrack"), "sweep", str(config),
                       "--set", f"task.seed={seed}", "--set", f"output_dir={folder}", *extra]
            print("+", " ".join(command), flush=True)
            subprocess.run(command, check=True)
        summaries.append(load_runs(folder, seed))
    return summaries


def write(config: Path, seeds: list[int], out: Path) -> None:
    summaries = [load_runs(seed_dir(out, config, s), s) for s in seeds]
    note = (f"benchmarks/claims.py; do not edit; seeds {' '.join(map(str, seeds))}, {datetime.date.today()}; "
            f"accuracies in %")
    measured = collect(summaries, seeds)
    config.write_text(replace_block(config.read_text(), format_block(measured, note)))
    print(f"wrote the Measured block of {config}" + write_table(config, measured))


def write_table(config: Path, measured: dict) -> str:
    """Regenerate the config's region in the docs page that has one (docs/*.md); says which page, if any."""
    name = f"eval_configs/{config.name}"
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text()
        if f"measured: {name} " in text:
            page.write_text(replace_region(text, name, markdown_table(measured)))
            return f" and its table in {page.relative_to(ROOT)}"
    return ""


def tables(configs: list[Path]) -> None:
    """Every docs table from its config's Measured block as it stands: a new table format, no new number."""
    for config in configs:
        measured = parse_block(config.read_text())
        if measured is not None:
            print(f"read the Measured block of {config}" + (write_table(config, measured) or ", no docs table"))


def check(configs: list[Path], out: Path, run: bool, tolerance: float, length_tolerance: float) -> int:
    failed = 0
    for config in configs:
        stated = parse_block(config.read_text())
        if stated is None:
            print(f"SKIP {config}: no Measured block (its header quotes no regenerated numbers)")
            continue
        seeds = stated["seeds"]
        summaries = (run_seeds(config, seeds, out, [], rerun=True) if run else
                     [load_runs(seed_dir(out, config, s), s) for s in seeds])
        failures = compare(stated, collect(summaries, seeds), tolerance, length_tolerance)
        failed += bool(failures)
        print(f"{'FAIL' if failures else 'OK  '} {config}" + "".join(f"\n     {f}" for f in failures))
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["measure", "write", "check", "tables"])
    parser.add_argument("configs", nargs="*", type=Path, help="default (check): every eval_configs/*.yaml")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("outputs/claims"), help="where the seed runs go")
    parser.add_argument("--no-run", action="store_true", help="check: compare the runs already in --out")
    parser.add_argument("--tolerance", type=float, default=1.0, help="accuracy points outside the range")
    parser.add_argument("--length-tolerance", type=float, default=1.0, help="positions outside the range")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="passed to statetrack sweep")
    args = parser.parse_intermixed_args(argv)
    configs = args.configs or sorted((ROOT / "eval_configs").glob("*.yaml"))
    if args.action == "tables":
        tables(configs)
        return 0
    if args.action == "check":
        out = args.out if args.no_run else args.out.with_name(args.out.name + "-check")
        return check(configs, out, not args.no_run, args.tolerance, args.length_tolerance)
    for config in configs:
        if args.action == "measure":
            run_seeds(config, args.seeds, args.out, [f"--set={o}" for o in args.overrides], rerun=False)
        write(config, args.seeds, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

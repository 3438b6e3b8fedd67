"""Generation throughput of the natural-text tasks (cups, programs, boxes, chess), one process.

    .venv/bin/python benchmarks/text_tasks.py
    .venv/bin/python benchmarks/text_tasks.py --rows 10000 --chess-rows 500 --length 32 --json text_tasks.json

Three steps per task, each timed with `time.perf_counter`:

* generator: `task.sample` over shards of the builder's size (integer rows, the work of generation);
* end to end: `hf_statetrack.load_dataset` into a fresh cache (train + test, test deduplicated against
  train: the generator runs again for the dedup hashes, as in every task);
* text: `text_view` of the train rows (writing each operation as its sentence, spans, probe ends).

An operation is one token of a row (a swap, a statement, a box operation, a half-move). Chess draws
every move with python-chess, so it gets fewer rows (``--chess-rows``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import datasets
import numpy as np

from hf_statetrack import get_task, load_dataset, text_view
from hf_statetrack.data.generate import rows_per_shard

CASES = [("cups_S5", {}), ("cups_S5", {"answer": "arrangement"}), ("programs", {}), ("boxes", {}),
         ("chess_pieces", {}), ("chess_pieces", {"notation": "san"})]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="train rows per task (vectorised families)")
    parser.add_argument("--chess-rows", type=int, default=2_000, help="train rows for chess_pieces")
    parser.add_argument("--length", type=int, default=64, help="operations per row")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    return parser.parse_args(argv)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def measure(name: str, params: dict, rows: int, length: int) -> dict:
    task = get_task(name, **params)
    per = rows_per_shard(length)
    rng = np.random.default_rng(0)
    _, gen_s = timed(lambda: [task.sample(rng, np.full(min(per, rows - s), length)) for s in range(0, rows, per)])
    with tempfile.TemporaryDirectory() as cache:
        ds, e2e_s = timed(lambda: load_dataset(name, train_length=length, num_train=rows, num_test=rows // 10,
                                               num_validation=0, cache_dir=cache, **params))
        _, text_s = timed(lambda: text_view(ds["train"], task))
    ops = rows * length
    return {"task": name, "params": params, "rows": rows, "length": length, "generator_s": gen_s,
            "generator_ops_per_s": ops / gen_s, "end_to_end_s": e2e_s, "text_s": text_s, "text_ops_per_s": ops / text_s}


def main(argv=None) -> None:
    args = parse_args(argv)
    datasets.disable_caching()
    datasets.disable_progress_bars()
    results = [measure(name, params, args.chess_rows if name.startswith("chess") else args.rows, args.length)
               for name, params in CASES]
    print("| task | params | rows x length | generator ops/s | end to end s (train + test/10) | text ops/s |")
    print("|---|---|---|---:|---:|---:|")
    for r in results:
        params = ", ".join(f"{k}={v}" for k, v in r["params"].items()) or "-"
        print(f"| {r['task']} | {params} | {r['rows']:,} x {r['length']} | {r['generator_ops_per_s']:.3g} | "
              f"{r['end_to_end_s']:.1f} | {r['text_ops_per_s']:.3g} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

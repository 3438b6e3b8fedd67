"""Training-step throughput of every preset, and of Mamba's three CPU scan paths, measured in one run.

    .venv/bin/python benchmarks/training.py                          # all presets, lengths 64 128 512
    .venv/bin/python benchmarks/training.py --presets mamba --lengths 128 --json mamba.json

A step is forward + backward + AdamW update of a token tagger (2 layers, hidden 128, 64 classes) on a
(batch, length) batch. Each measurement runs in its own spawned process, so `peak MiB` is that
process's high-water RSS. Mamba runs three ways: `ours` (the hf_statetrack scan and conv, the default after
`import hf_statetrack`), `transformers` (transformers' own PyTorch loop, what users get without us)
and `mambapy` (transformers' `use_mambapy=True` parallel scan; needs `pip install mambapy`).
transformers' loop is quadratic in length: it is timed with fewer steps (`--slow-steps`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import resource
import time

MAMBA_PATHS = ["ours", "transformers", "mambapy"]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", nargs="+", help="default: every registered preset")
    parser.add_argument("--lengths", nargs="+", type=int, default=[64, 128, 512])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=5, help="timed steps after one warm-up step")
    parser.add_argument("--slow-steps", type=int, default=1, help="timed steps for transformers' Mamba loop")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--json", metavar="PATH")
    return parser.parse_args(argv)


def one_measurement(preset: str, path: str, length: int, args: argparse.Namespace, queue) -> None:
    """Runs in a fresh process: build, warm up, time `steps` training steps, report seconds per step."""
    import torch
    from transformers.models.mamba import modeling_mamba

    import hf_statetrack  # noqa: F401  (installs the fast scan)
    from hf_statetrack.models import build_model

    if args.threads:
        torch.set_num_threads(args.threads)
    knobs = {"num_layers": args.num_layers, "hidden_size": args.hidden_size}
    if path in ("transformers", "mambapy"):  # put transformers' own functions back
        for name in ("mamba_selective_scan", "causal_conv1d_fn"):
            setattr(modeling_mamba, name, getattr(modeling_mamba, name).__wrapped__)
        knobs["use_mambapy"] = path == "mambapy"
    torch.manual_seed(0)
    model = build_model(preset, vocab_size=65, num_labels=64, **knobs).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, 64, (args.batch_size, length))
    labels = torch.randint(0, 64, (args.batch_size, length))

    def step():
        optimizer.zero_grad(set_to_none=True)
        model(input_ids=ids, labels=labels).loss.backward()
        optimizer.step()

    step()
    steps = args.slow_steps if path == "transformers" else args.steps
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    queue.put({"seconds_per_step": seconds, "threads": torch.get_num_threads(),
               "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def measure(preset: str, path: str, length: int, args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=one_measurement, args=(preset, path, length, args, queue))
    process.start()
    result = queue.get()
    process.join()
    tokens = args.batch_size * length
    return {"preset": preset, "path": path, "length": length, "tokens_per_s": tokens / result["seconds_per_step"],
            **result}


def with_ratios(rows: list[dict]) -> list[dict]:
    """Mamba rows get ours / other speed-ups, from the same run."""
    ours = {r["length"]: r["tokens_per_s"] for r in rows if r["preset"] == "mamba" and r["path"] == "ours"}
    for r in rows:
        r["ours_speedup"] = ours[r["length"]] / r["tokens_per_s"] if r["preset"] == "mamba" and r["length"] in ours \
            else None
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| preset | scan path | length | ms / step | tokens/s | ours is x faster | peak MiB |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = f"{r['ours_speedup']:.1f}" if r["ours_speedup"] else ""
        lines.append(f"| {r['preset']} | {r['path']} | {r['length']} | {1000 * r['seconds_per_step']:,.0f} | "
                     f"{r['tokens_per_s']:,.0f} | {ratio} | {r['peak_mib']:,.0f} |")
    return "\n".join(lines)


def main(args) -> dict:
    from hf_statetrack.models import list_presets

    args.presets = args.presets or list_presets()
    rows = []
    for length in args.lengths:
        for preset in args.presets:
            for path in (MAMBA_PATHS if preset == "mamba" else ["-"]):
                rows.append(measure(preset, path, length, args))
                print(f"{preset:12s} {path:12s} L={length:4d} {rows[-1]['tokens_per_s']:12,.0f} tokens/s", flush=True)
    rows = with_ratios(rows)
    print("\n" + markdown(rows))
    print(f"\nbatch {args.batch_size}, {args.num_layers} layers, hidden {args.hidden_size}, "
          f"torch threads {rows[0]['threads']}; python {platform.python_version()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "args": vars(args)}, f, indent=2)
    return {"rows": rows}


if __name__ == "__main__":
    main(parse_args())

"""CPU training-step throughput of every architecture the generic builder trains, beside our `transformer` preset.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/architectures.py                 # all, 2 layers, hidden 64
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/architectures.py --only rwkv xlstm --json arch.json

A step is forward + backward + AdamW update of a token tagger (64 classes) on a (batch, length) batch. All
models are built in one process and timed interleaved: round r times one step of every model in turn, so load
from other processes on a shared machine falls on all of them alike; the figure is the median over rounds.
`x transformer` is tokens/s over that of the first preset (`transformer`, Llama-style) in the same rounds; every
other registered preset is timed alongside (`--presets` picks some).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics

from interleaved import make_step, time_rounds


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", help="model types (default: CPU_ARCHITECTURES)")
    parser.add_argument("--presets", nargs="+",
                        help="our presets timed alongside, the first the reference (default: transformer, then every "
                             "other registered preset)")
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds after one warm-up round")
    parser.add_argument("--json", metavar="PATH")
    return parser.parse_args(argv)


def build_all(args) -> dict:
    """name -> (model, step); our presets first (the first is the reference), then the architectures."""
    import torch

    import hf_statetrack  # noqa: F401  (registration, fast Mamba scan)
    from hf_statetrack.models import build_architecture, build_model, list_presets
    from hf_statetrack.models.architectures import CPU_ARCHITECTURES

    args.presets = args.presets or ["transformer", *(name for name in list_presets() if name != "transformer")]
    knobs = {"num_layers": args.num_layers, "hidden_size": args.hidden_size}
    ids = torch.randint(0, 64, (args.batch_size, args.length))
    labels = torch.randint(0, 64, (args.batch_size, args.length))
    models = {}
    for name in args.presets:
        torch.manual_seed(0)
        models[f"{name} (preset)"] = build_model(name, vocab_size=65, num_labels=64, **knobs)
    for name in args.only or CPU_ARCHITECTURES:
        torch.manual_seed(0)
        models[name] = build_architecture(name, vocab_size=65, num_labels=64, **knobs)
    return {name: (model.train(), make_step(model, ids, labels)) for name, model in models.items()}


def main(args) -> list[dict]:
    import torch

    runs = build_all(args)
    times = time_rounds({name: step for name, (_, step) in runs.items()}, args.rounds, progress=True)
    tokens = args.batch_size * args.length
    reference = tokens / statistics.median(times[f"{args.presets[0]} (preset)"])
    rows = [{"model": name, "params": model.num_parameters(), "tokens_per_s": tokens / statistics.median(times[name]),
             "ms_per_step": 1000 * statistics.median(times[name])} for name, (model, _) in runs.items()]
    for row in rows:
        row["x_transformer"] = row["tokens_per_s"] / reference
    print("\n| model | params | ms / step | tokens/s | x transformer |\n|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['params']:,} | {r['ms_per_step']:,.0f} | {r['tokens_per_s']:,.0f} | "
              f"{r['x_transformer']:.2f} |")
    print(f"\nbatch {args.batch_size}, length {args.length}, {args.num_layers} layers, hidden {args.hidden_size}, "
          f"median of {args.rounds} interleaved rounds, torch threads {torch.get_num_threads()}; "
          f"python {platform.python_version()}, torch {torch.__version__}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "args": vars(args)}, f, indent=2)
    return rows


if __name__ == "__main__":
    main(parse_args())

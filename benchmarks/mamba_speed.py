"""Mamba's CPU training step beside the transformer's, timed interleaved in one process.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/mamba_speed.py            # length 128 (batch 32), 512 (batch 8)
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/mamba_speed.py --lengths 128 --batch-sizes 32 --rounds 5

A step is forward + backward + AdamW update of a token tagger (2 layers, hidden 128, 64 classes). Models: the
presets transformer, mamba, mamba_negeig and ids4; mamba and mamba_negeig run twice, with the compiled CPU scan
and conv (the default) and with ``HF_STATETRACK_SCAN=torch`` (the PyTorch scan, what runs without a C++
compiler), switched per step in the same process. Round r times one step of every model in turn, so load from
other processes falls on all alike; figures are medians over rounds, `x transformer` is ms per step over the
transformer's. `saved MiB` is what autograd keeps for the backward of one step (saved_tensors_hooks): the
activation memory, which is what grows with batch and length.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from functools import partial

from interleaved import make_step, time_rounds

RUNS = [("transformer", "transformer", "auto"), ("mamba", "mamba", "auto"), ("mamba, torch scan", "mamba", "torch"),
        ("mamba_negeig", "mamba_negeig", "auto"), ("mamba_negeig, torch scan", "mamba_negeig", "torch"),
        ("ids4", "ids4", "auto")]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", nargs="+", type=int, default=[128, 512])
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 8], help="one per length")
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds after one warm-up round")
    parser.add_argument("--json", metavar="PATH")
    return parser.parse_args(argv)


def saved_mib(model, ids, labels, scan_mode: str) -> float:
    """MiB of tensors autograd saves for the backward of one forward pass."""
    import torch

    total = 0

    def pack(tensor):
        nonlocal total
        total += tensor.numel() * tensor.element_size()
        return tensor

    os.environ["HF_STATETRACK_SCAN"] = scan_mode
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        model(input_ids=ids, labels=labels).loss.backward()
    model.zero_grad(set_to_none=True)
    return total / 2**20


def measure(length: int, batch: int, args) -> list[dict]:
    import torch

    import hf_statetrack  # noqa: F401  (registration, fast Mamba scan)
    from hf_statetrack.models import build_model

    ids = torch.randint(0, 64, (batch, length))
    labels = torch.randint(0, 64, (batch, length))
    runs = {}
    for label, preset, mode in RUNS:
        torch.manual_seed(0)
        model = build_model(preset, vocab_size=65, num_labels=64, num_layers=args.num_layers,
                            hidden_size=args.hidden_size).train()
        use_scan = partial(os.environ.__setitem__, "HF_STATETRACK_SCAN", mode)  # switched per step, untimed
        runs[label] = (make_step(model, ids, labels, before=use_scan), saved_mib(model, ids, labels, mode))
    times = time_rounds({label: step for label, (step, _) in runs.items()}, args.rounds)
    reference = statistics.median(times["transformer"])
    return [{"model": label, "length": length, "batch": batch, "ms": 1000 * statistics.median(t),
             "x_transformer": statistics.median(t) / reference, "tokens_per_s": batch * length / statistics.median(t),
             "saved_mib": runs[label][1]} for label, t in times.items()]


def markdown(rows: list[dict]) -> str:
    lines = ["| model | length | batch | ms / step | tokens/s | x transformer | saved MiB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['model']} | {r['length']} | {r['batch']} | {r['ms']:,.0f} | {r['tokens_per_s']:,.0f} | "
              f"{r['x_transformer']:.2f} | {r['saved_mib']:,.1f} |" for r in rows]
    return "\n".join(lines)


def main(args) -> list[dict]:
    import torch

    if len(args.batch_sizes) != len(args.lengths):
        raise SystemExit(f"give one batch size per length: {args.lengths} vs {args.batch_sizes}")
    rows = []
    for length, batch in zip(args.lengths, args.batch_sizes):
        rows += measure(length, batch, args)
        print(markdown([r for r in rows if r["length"] == length]), flush=True)
    print("\n" + markdown(rows))
    print(f"\n{args.num_layers} layers, hidden {args.hidden_size}, {args.rounds} rounds, torch threads "
          f"{torch.get_num_threads()}; python {platform.python_version()}, torch {torch.__version__}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "args": vars(args)}, f, indent=2)
    return rows


if __name__ == "__main__":
    main(parse_args())

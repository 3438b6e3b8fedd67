"""Text-format throughput: token rows -> text (`text_view`) -> tokens with answer-tagged labels (`tokenize_text`).

    .venv/bin/python benchmarks/text_format.py
    .venv/bin/python benchmarks/text_format.py --num-examples 20000 --length 32 --json text.json

This is the data preparation of fine-tuning, in-context evaluation and probes (datasets.map, one
process). The tokenizers are the test suite's: byte-level BPE (GPT-2, Pythia), SentencePiece style
(Llama 2, Mistral) and digit-splitting byte-level BPE (Llama 3, Qwen), trained on task text by the
`tokenizers` library; real Hub tokenizers are larger but tokenize at the same order of speed.
A position is one row position of the task (a permutation of S5, a bracket of dyck1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import datasets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' tokenizer builders

from hf_statetrack import get_task, load_dataset, text_view  # noqa: E402
from hf_statetrack.text import tokenize_text  # noqa: E402
from tests.pretrained.tiny_checkpoints import (  # noqa: E402
    byte_level_tokenizer,
    corpus,
    digit_split_tokenizer,
    sentencepiece_style_tokenizer,
)

TOKENIZERS = {"byte-level BPE": byte_level_tokenizer, "SentencePiece style": sentencepiece_style_tokenizer,
              "digit-split BPE": digit_split_tokenizer}
CASES = [("S5", "final"), ("S5", "all"), ("dyck1", "all"), ("reverse_string", "all")]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-examples", type=int, default=20_000)
    parser.add_argument("--length", type=int, default=64, help="task length of every row")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    return parser.parse_args(argv)


def measure(name: str, answers: str, tokenizers: dict, args) -> list[dict]:
    task = get_task(name)
    rows = load_dataset(name, train_length=args.length, num_train=args.num_examples, num_test=0,
                        num_validation=0)["train"]
    positions = args.num_examples * args.length
    start = time.perf_counter()
    text = text_view(rows, task, answers)
    render_s = time.perf_counter() - start
    out = [{"task": name, "answers": answers, "step": "render (text_view)", "tokenizer": "-", "wall_s": render_s,
            "positions_per_s": positions / render_s, "tokens_per_position": None}]
    for label, tokenizer in tokenizers.items():
        start = time.perf_counter()
        tokens = text.map(tokenize_text, batched=True, fn_kwargs={"tokenizer": tokenizer})
        wall = time.perf_counter() - start
        num_tokens = sum(len(ids) for ids in tokens.select(range(1000))["input_ids"])
        out.append({"task": name, "answers": answers, "step": "tokenize (tokenize_text)", "tokenizer": label,
                    "wall_s": wall, "positions_per_s": positions / wall,
                    "tokens_per_position": num_tokens / (1000 * args.length)})
    return out


def main(argv=None) -> None:
    args = parse_args(argv)
    datasets.disable_caching()  # every map really runs (no reuse of an earlier run's cache files)
    lines = corpus()
    tokenizers = {label: make(lines) for label, make in TOKENIZERS.items()}
    results = [row for name, answers in CASES for row in measure(name, answers, tokenizers, args)]
    print("| task | answers | step | tokenizer | wall s | positions/s | tokens per position |")
    print("|---|---|---|---|---:|---:|---:|")
    for r in results:
        per = "-" if r["tokens_per_position"] is None else f"{r['tokens_per_position']:.2f}"
        print(f"| {r['task']} | {r['answers']} | {r['step']} | {r['tokenizer']} | {r['wall_s']:.2f} | "
              f"{r['positions_per_s']:.3g} | {per} |")
    print(f"{args.num_examples:,} rows of length {args.length} per task")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

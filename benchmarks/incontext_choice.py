"""Choice-mode scoring: the shared-prefix path (prompt once, KV cache repeated over the candidates) against
the full-sequence reference (every prompt + candidate as its own sequence), on a randomly initialised
Llama-style model of a given size, with the test suite's byte-level BPE tokenizer.

    .venv/bin/python benchmarks/incontext_choice.py
    .venv/bin/python benchmarks/incontext_choice.py --task A5 --length 16 --shots 5 --hidden-size 512 --layers 8

Both paths give the same scores (checked here too); the ratio grows with the prompt length.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' tokenizer builders

from hf_statetrack import get_task  # noqa: E402
from hf_statetrack.evaluation.incontext.choice import ChoiceScorer, full_sequence_scores  # noqa: E402
from hf_statetrack.evaluation.incontext.prompts import make_queries  # noqa: E402
from tests.pretrained.tiny_checkpoints import byte_level_tokenizer, corpus  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default="S5")
    parser.add_argument("--length", type=int, default=8)
    parser.add_argument("--shots", type=int, default=3)
    parser.add_argument("--queries", type=int, default=10)
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128, help="sequences per forward pass (reference)")
    return parser.parse_args(argv)


def timed(fn, *args):
    start = time.perf_counter()
    with torch.inference_mode():
        out = fn(*args)
    return out, time.perf_counter() - start


def main(argv=None) -> None:
    args = parse_args(argv)
    tokenizer = byte_level_tokenizer(corpus())
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=args.hidden_size, intermediate_size=3 * args.hidden_size,
        num_hidden_layers=args.layers, num_attention_heads=8, num_key_value_heads=8,
        max_position_embeddings=4096)).eval()
    task = get_task(args.task)
    queries = make_queries(task, args.length, "bench", tokenizer=tokenizer, answers="final", shots=args.shots,
                           seed=0, num_test=args.queries, meta=None, single=True)
    prompts = [q.prompt for q in queries]
    scorer = ChoiceScorer(model, tokenizer, task.label_vocab, args.batch_size)
    fast, fast_s = timed(scorer, prompts)
    reference, ref_s = timed(full_sequence_scores, model, tokenizer, prompts, task.label_vocab, args.batch_size)
    tokens = sum(len(tokenizer(p).input_ids) for p in prompts) / len(prompts)
    print(f"{args.task}, length {args.length}, {args.shots} shots: {len(task.label_vocab)} candidates, "
          f"{tokens:.0f} prompt tokens; Llama {args.layers} layers x {args.hidden_size}, {torch.get_num_threads()} "
          f"threads")
    print(f"shared prefix {fast_s / len(prompts):.3f} s/query, full sequences {ref_s / len(prompts):.3f} s/query: "
          f"{ref_s / fast_s:.1f}x; largest score difference {abs(fast - reference).max():.1e}; "
          f"shared prefix used: {scorer.shared_prefix}")


if __name__ == "__main__":
    main()

"""Write the Illusion-of-State word-problem suite as a Hub-ready dataset folder (parquet + dataset card).

    python dataset_scripts/illusion_of_state.py --out illusion_of_state
    python dataset_scripts/illusion_of_state.py --out illusion_of_state --overwrite \\
        --num-examples 1000000 --push-to-hub USER/illusion-of-state

Merrill, Petty & Sabharwal (ICML 2024, arXiv 2404.08819) tag every prefix of a group word with its running
product, for Z60 (abelian), A4_x_Z5 (solvable), A5 and S5 (non-solvable), at lengths 2..20, and report
the minimum depth that reaches 90% accuracy per length. One config per group and length, e.g. ``S5-len20``,
trains and tests at that length: of ``--num-examples`` rows, 80% train and 20% test (the paper's split;
test rows whose word also occurs in train are dropped, which empties most of the length-2 test sets:
Z60 has only 3600 words of length 2). Validation adds ``--validation-fraction`` more rows at that length.

    datasets.load_dataset("illusion_of_state", "S5-len20")
"""

from __future__ import annotations

import sys

from suite_cli import export, make_parser

from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.data import GenerationParams

GROUPS = ["Z60", "A4_x_Z5", "A5", "S5"]
LENGTHS = list(range(2, 21))
PRETTY_NAME = "Illusion of State: group word problems (Z60, A4xZ5, A5, S5)"


def parse_args(argv=None):
    parser = make_parser(__doc__)
    parser.add_argument("--groups", nargs="+", default=GROUPS, help="groups (default: %(default)s)")
    parser.add_argument("--lengths", nargs="+", type=int, default=LENGTHS,
                        help="one config per length, trained and tested at it (default: 2..20)")
    parser.add_argument("--num-examples", type=int, default=100_000,
                        help="train + test rows per config, split 80/20 (default: %(default)s; paper ~1M)")
    parser.add_argument("--validation-fraction", type=float, default=0.05,
                        help="validation rows per config as a fraction of --num-examples (default: %(default)s)")
    return parser.parse_args(argv)


def suite_configs(groups, lengths, num_examples: int, validation_fraction: float, seed: int) -> dict:
    """{"S5-len20": GenerationParams(...), ...}: one config per (group, length)."""
    if not 0 <= validation_fraction <= 1:
        raise StateTrackError(f"--validation-fraction must be in [0, 1], got {validation_fraction}")
    num_test = num_examples // 5
    return {f"{group}-len{length}": GenerationParams.resolve(
                group, train_length=length, num_train=num_examples - num_test, num_test=num_test,
                num_validation=round(validation_fraction * num_examples), seed=seed)
            for group in groups for length in lengths}


def main(args) -> int:
    return export(args, lambda: suite_configs(args.groups, args.lengths, args.num_examples,
                                              args.validation_fraction, args.seed), PRETTY_NAME)


if __name__ == "__main__":
    sys.exit(main(parse_args()))

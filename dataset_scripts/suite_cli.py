"""What every suite script shares: the output flags and the write / push / error-reporting flow."""

from __future__ import annotations

import argparse
import sys

from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.data.export import push_to_hub, write_hub_folder


def make_parser(doc: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder to write (data/<config>/*.parquet and README.md)")
    parser.add_argument("--seed", type=int, default=0, help="generation seed (default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.add_argument("--num-proc", type=int, default=None, help="worker processes per config")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", default=None,
                        help="also upload the folder to this Hub dataset repo")
    parser.add_argument("--private", action="store_true", help="make a new --push-to-hub repo private")
    parser.add_argument("--text", action="store_true", help="also write each row in the text format for LMs")
    return parser


def export(args: argparse.Namespace, make_configs, pretty_name: str) -> int:
    """Build the configs, write the folder, optionally push; bad input -> one line and exit status 2."""
    try:
        configs = make_configs()
        out = write_hub_folder(args.out, configs, pretty_name=pretty_name, overwrite=args.overwrite,
                               num_proc=args.num_proc, text=args.text)
    except StateTrackError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(configs)} configs to {out}")
    if args.push_to_hub:
        print(f"pushed: {push_to_hub(out, args.push_to_hub, private=args.private)}")
    return 0

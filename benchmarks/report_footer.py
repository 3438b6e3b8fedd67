"""The closing lines every whole-process benchmark prints: when, how many rounds, the machine and its load,
the launcher lines the runs printed, and the rows as JSON where asked (benchmarks/threads.py, parallel.py)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def print_footer(start: str, rounds: str, rows: list[dict], note_key: str, json_path: str | None,
                 before: str = "the runs") -> None:
    loads = [r["loadavg_1min"] for r in rows]
    print(f"{start}; {rounds}; nproc {os.cpu_count()}, affinity {len(os.sched_getaffinity(0))}; 1-minute load "
          f"average {min(loads):.1f}-{max(loads):.1f} before {before}; python {platform.python_version()}")
    for line in sorted({r[note_key] for r in rows if r[note_key]}):
        print(line)
    if json_path:
        Path(json_path).write_text(json.dumps(rows, indent=2))

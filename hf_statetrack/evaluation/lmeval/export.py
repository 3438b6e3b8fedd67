"""``statetrack lm-eval export``: tasks as a folder of lm-evaluation-harness tasks, rows as local parquet.

The rows, prompts (K shots included) and targets are `statetrack eval`'s for the same task, length, seed,
shots and ``--num-test`` (both call `query_prompts`), so a checkpoint scores the same in both::

    statetrack lm-eval export lmeval_tasks --tasks S5 A5 parity --test-length 2,4,8,16 --shots 3
    lm_eval --model hf --model_args pretrained=EleutherAI/pythia-160m --include_path lmeval_tasks \\
        --tasks statetrack

writes, for each task and length, ``statetrack_S5_len4.yaml`` beside ``statetrack_S5_len4.parquet``
(columns ``prompt``, ``target``, ``label``, ``length``), a group ``statetrack_S5.yaml`` (the mean over
lengths), ``statetrack.yaml`` (the mean over tasks) and ``statetrack_rows.py``, which reads each parquet
file from its own folder: the folder can be copied or moved anywhere. The folder is written in a temporary folder
beside DIR that replaces it only once complete, so a refused export leaves nothing behind.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from ...core.errors import StateTrackError
from ...core.files import atomic_dir, output_folder
from ...core.version import __version__
from ...runtime.checkpoints import load_tokenizer
from ...tasks import get_task
from ...text import tokenize_text
from ..incontext.choice import split_candidates
from ..incontext.prompts import check_shots, query_prompts
from . import folder_loader
from .configs import (
    DEFAULT_LENGTHS,
    DEFAULT_TASKS,
    GROUP,
    LOADER,
    MODES,
    Function,
    group_config,
    lmeval_name,
    task_config,
)

ANSWERS = "final"  # as `statetrack eval` reads any model it did not fine-tune


@dataclass(frozen=True)
class ExportSettings:
    """What fixes the rows and how they are scored; stored in every YAML's metadata."""

    num_test: int = 1000  # rows per length
    shots: int = 3  # solved rows before each query
    seed: int = 0
    mode: str = "generate"  # or "choice"
    max_choices: int = 128  # choice form refuses tasks with more states

    def __post_init__(self):
        if self.mode not in MODES:
            raise StateTrackError(f"--mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        check_shots(self.shots)
        if self.shots < 0 or self.num_test < 1:
            raise StateTrackError(f"--shots must be >= 0 and --num-test >= 1, got {self.shots} and {self.num_test}")


def check_choices(task, settings: ExportSettings) -> None:
    if settings.mode == "choice" and len(task.label_vocab) > settings.max_choices:
        raise StateTrackError(f"--mode choice: {task.name} has {len(task.label_vocab)} candidate answers, more than "
                              f"--max-choices {settings.max_choices}; raise --max-choices or use --mode generate")


def check_tokenizer(tokenizer, rows: dict, prompts: list[str], task, mode: str) -> None:
    """The tokenizer can write the rows (`tokenize_text`'s checks) and, for choice, each candidate after a prompt
    is tokens of its own appended to the prompt's: lm-eval scores the tokens that follow the prompt's."""
    tokenize_text(rows, tokenizer)
    if mode == "choice" and split_candidates(tokenizer, prompts[0], task.label_vocab) is None:
        raise StateTrackError(f"the tokenizer re-tokenizes a {task.name} prompt when an answer follows it, so "
                              f"lm-eval would score other tokens than the answer's; use --mode generate")


class Dumper(yaml.SafeDumper):
    """Strings with a line break in double quotes (``until: ["\\n"]``), not as YAML block scalars."""


Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style='"' if "\n" in text else None))
Dumper.add_representer(Function, lambda dumper, text: dumper.represent_scalar("!function", str(text)))


def write_yaml(path: Path, config: dict) -> None:
    path.write_text(yaml.dump(config, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=1000))


def write_length(scratch: Path, task, length, settings: ExportSettings, tokenizer) -> str:
    """One (task, length): its parquet rows and task YAML in `scratch`; the YAML names the rows' file only."""
    rows, prompts = query_prompts(task, length, answers=ANSWERS, shots=settings.shots, seed=settings.seed,
                                  num_test=settings.num_test, meta=None, single=settings.mode == "choice")
    if tokenizer is not None:
        check_tokenizer(tokenizer, rows, prompts, task, settings.mode)
    name = lmeval_name(task.name, length)
    labels = [answer_labels[-1] for answer_labels in rows["answer_labels"]]  # the final answer's class
    pq.write_table(pa.table({"prompt": prompts, "target": rows["target"], "label": labels, "length": rows["length"]}),
                   scratch / f"{name}.parquet")
    # each token holds at least one character: " " + target, then "\n", fit in this many, whatever the tokenizer
    max_gen_toks = max(map(len, rows["target"])) + 2
    metadata = {"task": task.name, "task_params": task.params, "length": length, "rows": len(prompts),
                "answers": ANSWERS, **asdict(settings), "hf_statetrack": __version__}
    write_yaml(scratch / f"{name}.yaml", task_config(name, f"{name}.parquet", settings.mode,
                                                     candidates=task.label_vocab, max_gen_toks=max_gen_toks,
                                                     metadata=metadata))
    return name


def export_tasks(out_dir: str | Path, tasks=DEFAULT_TASKS, test_lengths=DEFAULT_LENGTHS, *,
                 settings: ExportSettings | None = None, tokenizer: str | None = None, overwrite: bool = False) -> Path:
    """Write `tasks` at `test_lengths` as lm-eval tasks in `out_dir` (see the module docstring); returns it.

    `tokenizer` (a Hub id or folder): refuse tasks it cannot write, before anything is evaluated."""
    settings = settings or ExportSettings()
    resolved = [get_task(name) for name in dict.fromkeys(tasks)]  # unknown names: the registry's did-you-mean
    for task in resolved:
        check_choices(task, settings)
    tok = load_tokenizer(tokenizer) if tokenizer else None
    out = output_folder(out_dir, "lm-eval export DIR").resolve()
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise StateTrackError(f"{out} exists and is not empty; pass --overwrite to replace it or choose another folder")
    with atomic_dir(out) as scratch:  # a sibling on the same file system: the finished folder is renamed into place
        groups = []
        for task in resolved:
            names = [write_length(scratch, task, length, settings, tok) for length in dict.fromkeys(test_lengths)]
            groups.append(lmeval_name(task.name))
            write_yaml(scratch / f"{groups[-1]}.yaml", group_config(groups[-1], names, settings.mode, {
                "task": task.name, "task_params": task.params, **asdict(settings), "hf_statetrack": __version__}))
        write_yaml(scratch / f"{GROUP}.yaml", group_config(GROUP, groups, settings.mode, {
            "tasks": [task.name for task in resolved], **asdict(settings), "hf_statetrack": __version__}))
        shutil.copyfile(folder_loader.__file__, scratch / f"{LOADER}.py")
    return out

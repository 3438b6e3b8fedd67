"""lm-evaluation-harness YAML configs for exported tasks: one task per (task, length), one group per task
and one group, ``statetrack``, over all of them.

Only lm-eval's documented keys. One ``!function``: ``custom_dataset`` names the loader written beside the
YAMLs (`folder_loader`), the one way lm-eval offers to read files relative to a YAML's own folder, so the
folder works wherever it is copied (it needs `datasets`, not hf_statetrack). S5 at length 4, generate form
(the default), as `task_config` writes it::

    task: statetrack_S5_len4
    custom_dataset: !function statetrack_rows.load
    dataset_kwargs: {data_files: {test: statetrack_S5_len4.parquet}}   # beside the YAML
    test_split: test
    output_type: generate_until
    doc_to_text: prompt        # K solved rows, one per line, then the query: "... 53214 ="
    doc_to_target: target      # "52413"; lm-eval puts target_delimiter " " between the two
    num_fewshot: 0             # the shots are already in the prompt, the same as `statetrack eval`'s
    generation_kwargs: {until: ["\\n"], max_gen_toks: 7, do_sample: false}
    filter_list: [{name: strip, filter: [{function: remove_whitespace}, {function: take_first}]}]
    metric_list: [{metric: exact_match, aggregation: mean, higher_is_better: true}]
    metadata: {version: 0.1.0, statetrack: {task: S5, length: 4, shots: 3, seed: 0, ...}}

The choice form is ``output_type: multiple_choice`` with ``doc_to_choice`` the task's states and
``doc_to_target: label`` (the index of the right one), scored by ``acc``.
"""

from __future__ import annotations

import json
import re

from ...core.version import __version__

DEFAULT_TASKS = ("S5", "A5", "parity")
DEFAULT_LENGTHS = (2, 4, 8, 16)
MODES = ("generate", "choice")
# per form: lm-eval's metric, and the filter its results key carries ("exact_match,strip", "acc,none")
METRICS = {"generate": ("exact_match", "strip"), "choice": ("acc", "none")}
GROUP = "statetrack"


def lmeval_name(task_name: str, length=None) -> str:
    """A task or group name lm-eval and file systems accept: group specs lose their punctuation.

    >>> lmeval_name("S5", 4), lmeval_name("S5", (3, 4)), lmeval_name("perm(2134,2341)")
    ('statetrack_S5_len4', 'statetrack_S5_len3-4', 'statetrack_perm_2134_2341')
    """
    base = f"{GROUP}_{re.sub(r'[^A-Za-z0-9]+', '_', task_name).strip('_')}"
    if length is None:
        return base
    return f"{base}_len{length if isinstance(length, int) else '-'.join(map(str, length))}"


def metric_key(mode: str) -> str:
    """Where lm-eval's results hold a task's score: ``results[name][metric_key(mode)]``."""
    return ",".join(METRICS[mode])


class Function(str):
    """A YAML ``!function`` reference (``module.name``, the module beside the YAML), as lm-eval reads it."""


LOADER = "statetrack_rows"  # the name `folder_loader` takes in an exported folder


def task_config(name: str, data_file: str, mode: str, *, candidates: list[str], max_gen_toks: int,
                metadata: dict) -> dict:
    """One (task, length) as an lm-eval task over the parquet file `data_file`, a name in the YAML's folder."""
    metric, filter_name = METRICS[mode]
    config = {"task": name, "custom_dataset": Function(f"{LOADER}.load"),
              "dataset_kwargs": {"data_files": {"test": data_file}}, "test_split": "test", "doc_to_text": "prompt",
              "target_delimiter": " ", "num_fewshot": 0}
    if mode == "generate":
        # the answer line ends at a newline, as the shots show; `statetrack eval` reads the first line too
        config |= {"output_type": "generate_until", "doc_to_target": "target",
                   "generation_kwargs": {"until": ["\n"], "max_gen_toks": max_gen_toks, "do_sample": False},
                   "filter_list": [{"name": filter_name, "filter": [{"function": "remove_whitespace"},
                                                                    {"function": "take_first"}]}]}
    else:
        config |= {"output_type": "multiple_choice", "doc_to_target": "label", "doc_to_choice": list(candidates)}
    config["metric_list"] = [{"metric": metric, "aggregation": "mean", "higher_is_better": True}]
    config["metadata"] = {"version": __version__, "statetrack": plain(metadata)}
    return config


def group_config(name: str, children: list[str], mode: str, metadata: dict) -> dict:
    """A group scoring the plain mean of its children (lengths, or tasks), whatever their row counts."""
    metric, filter_name = METRICS[mode]
    return {"group": name, "task": list(children),
            "aggregate_metric_list": [{"metric": metric, "filter_list": [filter_name], "aggregation": "mean",
                                       "weight_by_size": False}],
            "metadata": {"version": __version__, "statetrack": plain(metadata)}}


def plain(metadata: dict) -> dict:
    """YAML-safe: tuples such as a length range (3, 4) become lists."""
    return json.loads(json.dumps(metadata))

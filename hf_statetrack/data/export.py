"""Write generated tasks as a Hub-ready dataset folder: parquet files plus a dataset card.

    out_dir/
      README.md                                        YAML `configs:` + tasks, parameters, citation
      data/S5-len20/train-00000-of-00001.parquet
      data/S5-len20/validation-00000-of-00001.parquet
      data/S5-len20/test-00000-of-00001.parquet

``datasets.load_dataset(out_dir, "S5-len20")`` then returns exactly the rows of
``hf_statetrack.load_dataset`` with that config's parameters, without hf_statetrack installed.
A split with no rows has no file (datasets cannot load an empty parquet split). With ``text=True``
the rows also carry the text format of `text.text_view` (``text``, ``prompt``, ``target``,
answer spans), ready for language-model evaluation without the package.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import datasets
from huggingface_hub import DatasetCard, DatasetCardData, HfApi

from ..core.errors import StateTrackError
from ..core.files import atomic_dir, output_folder
from ..text import default_answers, text_columns
from .builder import CITATION
from .loading import check_num_proc, make_builder
from .params import SPLITS, GenerationParams
from .registration import source_hash

MAX_SHARD_BYTES = 256 << 20  # Arrow bytes per parquet file; the Hub viewer prefers files of this order
CONFIG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")


@dataclass
class WrittenConfig:
    name: str
    params: GenerationParams
    num_rows: dict[str, int]  # split -> rows written (a split with 0 rows has no file)

    def data_files(self) -> list[dict]:
        """The card's `data_files` entry: one glob per split that has rows."""
        return [{"split": s, "path": f"data/{self.name}/{s}-*.parquet"} for s in SPLITS if self.num_rows[s]]

    @property
    def dropped(self) -> int:
        """Test rows the builder dropped because their input occurs in train or validation."""
        return self.params.num_test - self.num_rows["test"]


def check_request(out_dir: Path, configs: dict, overwrite: bool) -> Path:
    """The resolved output folder (`files.output_folder`), once every config is sound and `out_dir` may be
    written (an existing non-empty folder only with overwrite)."""
    if not configs:
        raise StateTrackError("no configs to write; pass at least one {config name: GenerationParams}")
    for name, params in configs.items():
        if not CONFIG_NAME.fullmatch(name):
            raise StateTrackError(f"config name {name!r} is not a plain folder name; "
                                  f"use letters, digits and - _ . +")
        if not isinstance(params, GenerationParams):
            raise StateTrackError(f"config {name!r}: expected GenerationParams.resolve(...), "
                                  f"got {type(params).__name__}")
        if not (params.num_train or params.num_validation or params.num_test):  # datasets cannot load it
            raise StateTrackError(f"config {name!r} has no rows (num_train, num_validation and num_test are all "
                                  f"0); ask for at least one split's rows")
    out_dir = output_folder(out_dir, "--out")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise StateTrackError(f"{out_dir} already exists and is not empty; pass --overwrite (overwrite=True) "
                              f"to replace it")
    return out_dir


def write_split(ds: datasets.Dataset, folder: Path, split: str) -> None:
    num_files = max(1, math.ceil(ds.data.nbytes / MAX_SHARD_BYTES))
    for i in range(num_files):
        shard = ds.shard(num_shards=num_files, index=i, contiguous=True)
        shard.to_parquet(str(folder / f"{split}-{i:05d}-of-{num_files:05d}.parquet"))


def with_text(ds: datasets.Dataset, task) -> datasets.Dataset:
    """The rows plus their text-format columns (the task's default answers), keeping the token columns."""
    return ds.map(text_columns, batched=True, fn_kwargs={"task": task, "answers": default_answers(task)},
                  desc=f"writing {task.name} as text")


def write_config(root: Path, name: str, params: GenerationParams, cache_dir: str, num_proc,
                 text: bool = False) -> WrittenConfig:
    builder = make_builder(params.name, cache_dir=cache_dir, **params.load_kwargs())
    builder.download_and_prepare(num_proc=num_proc)
    # A split with no rows (num_validation=0, or a test set that is all seen in train) is absent
    # from info.splits or makes as_dataset raise, so read the non-empty splits one by one.
    num_rows = {s: builder.info.splits[s].num_examples if s in builder.info.splits else 0 for s in SPLITS}
    folder = root / "data" / name
    folder.mkdir(parents=True)
    for split in SPLITS:
        if num_rows[split]:
            ds = builder.as_dataset(split=split)
            write_split(with_text(ds, params.task()) if text else ds, folder, split)
    return WrittenConfig(name, params, num_rows)


def write_hub_folder(out_dir, configs: dict[str, GenerationParams], *, pretty_name: str,
                     overwrite: bool = False, num_proc: int | None = None, text: bool = False) -> Path:
    """Write `configs` (config name -> parameters) as parquet + README.md into `out_dir`; return its path.
    ``text=True`` adds the text-format columns to every row.

    Everything is written into a temporary sibling folder that replaces `out_dir` only once complete,
    so a failure leaves `out_dir` as it was (absent, or the previous contents).
    """
    out_dir = check_request(Path(out_dir), configs, overwrite)
    check_num_proc(num_proc)
    with atomic_dir(out_dir) as staging:
        written = []
        for name, params in configs.items():
            # One throwaway cache per config, on the output's disk: peak space is one config's Arrow files.
            with tempfile.TemporaryDirectory(prefix=".hf_statetrack-cache-", dir=out_dir.parent) as cache:
                written.append(write_config(staging, name, params, cache, num_proc, text))
        write_card(staging, written, pretty_name, text)
    return out_dir


def push_to_hub(folder, repo_id: str, private: bool = False) -> str:
    """Upload a folder written by `write_hub_folder` to the dataset repo `repo_id`; return the commit URL."""
    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    return api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset").commit_url


def write_card(root: Path, written: list[WrittenConfig], pretty_name: str, text: bool = False) -> None:
    tasks = [c.params.task() for c in written]
    families = sorted({t.family.replace("_", "-") for t in tasks})
    data = DatasetCardData(
        license="apache-2.0",
        pretty_name=pretty_name,
        task_categories=sorted({"text-classification" if t.params.get("label_mode") == "final"
                                else "token-classification" for t in tasks}),
        tags=["state-tracking", "synthetic", "hf_statetrack", *families, *(["text"] if text else [])],
        configs=[{"config_name": c.name, "data_files": c.data_files()} for c in written],
    )
    DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{card_body(written, pretty_name, text)}").save(root / "README.md")


def card_body(written: list[WrittenConfig], pretty_name: str, text: bool = False) -> str:
    return "\n".join([f"# {pretty_name}", "", intro_text(), "", *(text_format_text() if text else []),
                      "## Tasks", "", *task_blocks(written),
                      "## Configs", "", *config_table(written), "", *usage_text(written[0])])


def intro_text() -> str:
    try:
        version = importlib.metadata.version("hf-statetrack")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return (f"Synthetic state-tracking data generated with hf_statetrack {version} (generator code hash "
            f"`{source_hash()[:12]}`). Every row has `input_ids`, `labels` (one class per position; `-100` = "
            "not scored) and `length`. Test rows whose input also occurs in train or validation were "
            "dropped; a split left with no rows has no files.")


def text_format_text() -> list[str]:
    return ["Rows also carry the task written as text for language models: `text` (the whole row: symbols "
            "separated by spaces, each scored answer after ` = `), `prompt` and `target` (the row split before "
            "its last answer, or before the whole output of a transduction), `answer_starts` / `answer_ends` "
            "(character spans of the answers, leading space included), `answer_labels` (their class ids), and "
            "`state_ends` / `state_labels` (for probes: where the text that fixes each state ends). Word problems "
            "write only the final state (e.g. `34152 52134 53214 = 52413`).", ""]


def task_blocks(written: list[WrittenConfig]) -> list[str]:
    """One `describe()` block per distinct task (configs of several lengths share one)."""
    tasks = {(c.params.name, json.dumps(c.params.task_params, sort_keys=True)): c.params for c in written}
    return [line for p in tasks.values() for line in ("```text", p.task().describe(), "```", "")]


def config_table(written: list[WrittenConfig]) -> list[str]:
    lines = ["| config | task | train length | test length | train / validation / test rows | seed "
             "| task params | test rows dropped (input seen in train or validation) |",
             "|---|---|---|---|---|---|---|---|"]
    for c in written:
        p, kwargs = c.params, c.params.load_kwargs()
        task_params = ", ".join(f"{k}={v}" for k, v in p.task_params.items())
        rows = " / ".join(str(c.num_rows[s]) for s in SPLITS)
        lines.append(f"| {c.name} | {p.name} | {kwargs['train_length']} | {kwargs['test_length']} "
                     f"| {rows} | {p.seed} | {task_params} | {c.dropped} |")
    return lines


def usage_text(first: WrittenConfig) -> list[str]:
    kwargs = first.params.load_kwargs()
    call = ", ".join([f'"{first.params.name}"'] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return ["## Load", "", "```python", "from datasets import load_dataset", "",
            f'ds = load_dataset("path/to/this/folder-or/hub-repo-id", "{first.name}")', "```", "",
            "## Regenerate", "",
            "The rows are a pure function of the parameters above; hf_statetrack regenerates them "
            "identically (here the first config; the others take their row of the table):", "",
            "```python", "import hf_statetrack", "", f"ds = hf_statetrack.load_dataset({call})", "```", "",
            "## Citation", "",
            "The tasks follow Merrill, Petty & Sabharwal, *The Illusion of State in State-Space Models*, "
            "ICML 2024 (arXiv:2404.08819). Please cite:", "", "```bibtex", CITATION, "```", ""]

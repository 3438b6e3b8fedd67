"""The `datasets` builder behind ``hf_statetrack.load_dataset`` and ``datasets.load_dataset("hf_statetrack", NAME)``.

An `ArrowBasedBuilder`: each shard becomes one Arrow table built from numpy buffers, with no per-row
Python, which keeps end-to-end generation within a small factor of the raw generator.
The config id is a hash of the canonical parameters, so equal requests share one cache entry
however they were spelled (``20`` vs ``(20, 20)``, defaults given or omitted).
"""

from __future__ import annotations

import functools

import datasets
import numpy as np
import pyarrow as pa

from ..core.errors import StateTrackError
from ..core.upstream import require
from ..text.render import is_text_task, natural_text_columns
from .distinct import build_pool
from .generate import batch_to_table, count_test_collisions, drop_seen, generate_shard, seen_hashes, shard_sizes
from .params import SPLITS, GenerationParams

DATASET_NAME = "hf_statetrack"
VERSION = datasets.Version("1.0.0")


def token_dtype(task) -> str:
    """int16 where every id (and -100) fits, else int32: half the bytes for every group up to S7."""
    return "int16" if max(len(task.vocab), len(task.label_vocab)) < 2**15 else "int32"


class StateTrackConfig(datasets.BuilderConfig):
    """Config name = task name; every other keyword is a `GenerationParams` field or a task parameter."""

    def __init__(self, name=None, version=VERSION, data_dir=None, data_files=None, description=None, **params):
        if not name:
            raise StateTrackError("name a task, e.g. datasets.load_dataset('hf_statetrack', 'S5', train_length=20, "
                                  "num_train=1000, num_test=100)")
        if data_dir is not None or data_files is not None:
            raise StateTrackError("hf_statetrack datasets are generated, not read: drop data_dir / data_files (a "
                                  "peer's files: hf_statetrack.load_dataset(NAME, source=..., data_dir=PATH))")
        super().__init__(name=name, version=version, description=description)
        self.params = GenerationParams.resolve(name, **params)


@functools.cache
def check_datasets_builder() -> None:
    """We override `_create_builder_config` and yield `datasets.builder.Key`s: refuse a datasets that moved them."""
    require("datasets_builder", "hf_statetrack cannot generate datasets with it")


class StateTrackBuilder(datasets.ArrowBasedBuilder):
    BUILDER_CONFIG_CLASS = StateTrackConfig
    VERSION = VERSION

    def __init__(self, *args, **kwargs):
        check_datasets_builder()
        super().__init__(*args, **kwargs)

    def _create_builder_config(self, config_name=None, custom_features=None, config_id=None, **config_kwargs):
        params = StateTrackConfig(name=config_name, **config_kwargs).params
        config_id = f"{params.name}-{params.fingerprint()}"
        return super()._create_builder_config(config_name, custom_features, config_id=config_id, **config_kwargs)

    def _info(self) -> datasets.DatasetInfo:
        params = self.config.params
        task = params.task()
        tokens = datasets.List(datasets.Value(token_dtype(task)))
        text = {"text": datasets.Value("string"), "target": datasets.Value("string")} if is_text_task(task) else {}
        return datasets.DatasetInfo(
            description=f"{task.describe()}\n\ngeneration parameters: {params.as_dict()}",
            features=datasets.Features({"input_ids": tokens, "labels": tokens, "length": datasets.Value("int32"),
                                        **{name: tokens for name in task.extra_columns}, **text}),
            citation=CITATION,
            license="apache-2.0",
        )

    def _split_generators(self, dl_manager):
        params = self.config.params
        task = params.task()
        if params.distinct:
            return self._distinct_split_generators(task, params)
        seen = seen_hashes(task, params)
        removed = count_test_collisions(task, params, seen)
        self.info.description += (f"\ntest rows dropped because their input also occurs in train or validation: "
                                  f"{removed} of {params.num_test}")
        rows = {"train": params.num_train, "validation": params.num_validation, "test": params.num_test - removed}
        return [
            datasets.SplitGenerator(name=split, gen_kwargs={
                "split": split,
                "shard_ids": list(range(len(shard_sizes(params, split)))),
                "seen": seen if split == "test" else None,
            })
            for split in SPLITS
            if rows[split] > 0  # datasets cannot read back a split with no rows
        ]

    def _distinct_split_generators(self, task, params: GenerationParams):
        """distinct=True: one pool per build, drawn here; each split's slice travels in `pieces` (a list the
        size of `shard_ids`, so `num_proc` workers and streaming shards each get whole pieces)."""
        pool = build_pool(task, params)
        self.info.description += f"\n{pool.note}"
        return [
            datasets.SplitGenerator(name=split, gen_kwargs={
                "split": split, "shard_ids": list(range(len(pieces))), "seen": None, "pieces": pieces})
            for split in SPLITS
            if (pieces := pool.shards(split))  # datasets cannot read back a split with no rows
        ]

    def _generate_tables(self, split: str, shard_ids: list[int], seen: np.ndarray | None, pieces: list | None = None):
        params = self.config.params
        task = params.task()
        dtype = np.dtype(token_dtype(task))
        from datasets.builder import Key  # checked by check_datasets_builder; not public API

        for i, shard_id in enumerate(shard_ids):
            batch = pieces[i] if pieces is not None else drop_seen(generate_shard(task, params, split, shard_id), seen)
            table = batch_to_table(batch, dtype)
            if is_text_task(task):  # natural-text tasks carry their text (default answers) in every row
                for name, values in natural_text_columns(task, batch).items():
                    table = table.append_column(name, pa.array(values, type=pa.string()))
            yield Key(shard_id, 0), table


CITATION = """\
@inproceedings{merrill2024illusion,
  title={The Illusion of State in State-Space Models}, author={Merrill, William and Petty, Jackson and
  Sabharwal, Ashish}, booktitle={ICML}, year={2024}, eprint={2404.08819}, archivePrefix={arXiv}}
@inproceedings{sarrof2024expressive,
  title={The Expressive Capacity of State Space Models: A Formal Language Perspective},
  author={Sarrof, Yash and Veitsman, Yana and Hahn, Michael}, booktitle={NeurIPS}, year={2024},
  eprint={2405.17394}, archivePrefix={arXiv}}"""

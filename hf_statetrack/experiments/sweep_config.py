"""The sweep schema: one sweep YAML file -> `SweepConfig` (the sweep's own keys) around the experiment every run
starts from (`ExperimentConfig` keys), validated once when it is built.

    output_dir: outputs/quickstart                        # ... and every other experiment key: the base run
    sweep: {task.name: [S5, A5], model.num_layers: [1, 2]}
    seeds: 3
    search: {min: model.num_layers, values: [1, 2, 3], by: task.test_length}
    report: illusion_of_state
    estimate_s_per_run: 38

Keys that are neither sweep nor experiment keys fail with the list of valid ones. What depends on every run (its
config, its folder, its test splits, the search's split and key) is checked by `SweepConfig.check` before any run
trains; `statetrack reproduce --dry-run` checks the part that needs no data (`check_settings`).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.errors import StateTrackError
from ..core.files import output_folder, resolve
from ..core.limits import check_number
from ..core.registry import did_you_mean
from ..core.yaml_loader import read_yaml
from ..stats.scoring import SUMMARY_KEYS
from .checks import warn_once
from .config import ExperimentConfig, apply_override, set_dotted, unknown_key_error
from .grid import Point, expand, flat, is_variant, point_name
from .pipeline import task_splits
from .rundir import check_output_dir, stale


def field_help(text: str, **kwargs):
    return field(metadata={"help": text}, **kwargs)


@dataclass
class SearchSpec:
    """The ``search:`` section: the minimum-depth search (`search`). ``min`` in YAML is `key` here."""

    key: str = field_help("the searched config key (YAML: min), e.g. model.num_layers")
    values: list = field_help("the values tried, in this order; the first whose metric passes is the minimum")
    split: str = field_help("the split whose metric is compared", default="test")
    metric: str = field_help(f"one of {', '.join(SUMMARY_KEYS)}", default="sequence_accuracy")
    threshold: float = field_help("the mean over seeds must reach this, in (0, 1]", default=0.9)
    by: str | None = field_help("the swept key that gives the columns of search.md and the x axis of the plot (a "
                                "length); default: the first swept key naming a length (`length_key`)", default=None)

    def __post_init__(self):
        if not isinstance(self.key, str) or not isinstance(self.values, list) or not self.values:
            raise StateTrackError("search: needs {min: <dotted key>, values: [v1, v2, ...]}, e.g. "
                                  "{min: model.num_layers, values: [1, 2, 3]}")
        if self.metric not in SUMMARY_KEYS:
            raise StateTrackError(f"search.metric must be one of {', '.join(SUMMARY_KEYS)}, got {self.metric!r}")
        check_number(self.threshold, "search.threshold", 0, 1)

    @classmethod
    def from_dict(cls, raw, sweep: dict) -> SearchSpec:
        """From the YAML section; `sweep` (the swept keys) may not hold the searched key, and gives `by` when the
        section does not."""
        if not isinstance(raw, dict) or "min" not in raw or not isinstance(raw.get("values"), list) \
                or not raw["values"]:
            raise StateTrackError("search: needs {min: <dotted key>, values: [v1, v2, ...]}, e.g. "
                                  "{min: model.num_layers, values: [1, 2, 3]}")
        fields = {"min": "key", **{f.name: f.name for f in dataclasses.fields(cls) if f.name != "key"}}
        unknown = [k for k in raw if k not in fields]
        if unknown:
            raise StateTrackError(f"unknown key {unknown[0]!r} in search; {did_you_mean(unknown[0], fields)}"
                                  f"valid keys: {', '.join(fields)}")
        spec = cls(**{fields[k]: v for k, v in raw.items()})
        if spec.key in sweep:
            raise StateTrackError(f"search.min {spec.key!r} is also swept; search it or sweep it, not both")
        spec.by = spec.by or length_key({k: v[0] for k, v in sweep.items()})
        return spec

    def to_dict(self) -> dict:
        """As stored in search.json (the YAML spelling: ``min``)."""
        data = dataclasses.asdict(self)
        return {"min": data.pop("key"), **data}

    def check_runs(self, points: list[Point], config) -> None:
        """What is read only after runs train, checked before: numeric values (a minimum is looked for and
        plotted), the split in every run's results, and `by` a key of every run. `config(point)`: its first run."""
        for value in self.values:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise StateTrackError(f"search.values must be numbers tried in order (the minimum that passes is "
                                      f"reported), got {value!r}")
        for point in points:
            cfg = config(self.at(point, self.values[0]))
            splits = cfg.split_names()
            if self.split not in splits:
                raise StateTrackError(f"search.split {self.split!r} is not a split of run {point.name}; "
                                      f"{did_you_mean(self.split, splits)}its splits: {', '.join(splits)}")
            keys = flat(point.raw)
            if self.by is not None and self.by not in keys:
                raise StateTrackError(f"search.by {self.by!r} is not a key of run {point.name}; "
                                      f"{did_you_mean(self.by, keys)}e.g. task.train_length")

    def at(self, point: Point, value) -> Point:
        """The grid point with the searched key set to `value`."""
        raw = json.loads(json.dumps(point.raw))
        set_dotted(raw, self.key, value)
        values, shown = {**point.values, self.key: value}, {*(point.shown or ()), self.key}
        return Point(point_name(raw, values, shown), values, raw, shown)

    def expand(self, points: list[Point]) -> list[Point]:
        return [self.at(p, v) for p in points for v in self.values]


def length_key(values: dict) -> str | None:
    """The one guess of which swept key is the length (for a search without ``by``, and for a search.json written
    before the spec was stored in it): the first of a point's values, as dotted keys, whose name holds "length"."""
    return next((k for k in flat(values) if "length" in k), None)


@dataclass
class SweepConfig:
    experiment: dict = field_help("every run's config before the sweep sets its values: the ExperimentConfig keys "
                                  "(task, model, training, evaluation, output_dir, ...) at the top of the file")
    sweep: dict = field_help("dotted key -> the values it takes (the cartesian product); a key variant or "
                             "variant_<name> lists mappings of dotted keys set together", default_factory=dict)
    seeds: int | None = field_help("train every point with task.seed, +1, ... (--seeds wins; default 1, "
                                   "statetrack reproduce --scale paper 3)", default=None)
    search: SearchSpec | dict | None = field_help(
        "the minimum-depth search: {min: model.num_layers, values: [1, 2, 3], split, metric, threshold, by}",
        default=None)
    report: str | None = field_help("a reproduction's report written beside the papers' numbers (report.md); "
                                    "statetrack reproduce --list names them", default=None)
    estimate_s_per_run: float | None = field_help("measured seconds per run, for the dry run's time estimate",
                                                  default=None)

    def __post_init__(self):
        sweep = self.sweep
        if not isinstance(sweep, dict) or not all(isinstance(v, list) and v for v in sweep.values()):
            raise StateTrackError("sweep: must map dotted keys to non-empty lists, e.g. sweep: {task.name: [S5, A5]}")
        if not all(isinstance(v, dict) for key in sweep if is_variant(key) for v in sweep[key]):
            raise StateTrackError("sweep.variant must list mappings of dotted keys, e.g. "
                                  "[{model: {preset: lstm}, training.learning_rate: 1.0e-3}]")
        if self.seeds is not None:
            check_seeds(self.seeds)
        if isinstance(self.search, dict):
            self.search = SearchSpec.from_dict(self.search, sweep)
        elif self.search is not None and not isinstance(self.search, SearchSpec):
            SearchSpec.from_dict(self.search, sweep)  # raises: the expected shape
        if self.report is not None:
            from .reproductions import lookup

            lookup(self.report)
        estimate = self.estimate_s_per_run
        if estimate is not None and (isinstance(estimate, bool) or not isinstance(estimate, (int, float))
                                     or not estimate > 0):
            raise StateTrackError(f"estimate_s_per_run must be a number of seconds > 0, got {estimate!r}")

    @classmethod
    def from_dict(cls, raw: dict) -> SweepConfig:
        """The YAML mapping: the sweep keys, and the experiment's keys beside them."""
        own = [f.name for f in dataclasses.fields(cls) if f.name != "experiment"]
        valid = [*own, *(f.name for f in dataclasses.fields(ExperimentConfig))]
        for key in raw:
            if key not in valid:
                raise unknown_key_error("the experiment", key, valid)
        settings = {k: raw[k] for k in own if k in raw}
        settings["sweep"] = settings.get("sweep") or {}
        return cls(experiment={k: v for k, v in raw.items() if k not in own}, **settings)

    @property
    def root(self) -> Path:
        """The sweep's folder: the base config's output_dir (resolved)."""
        return resolve(self.experiment.get("output_dir", "outputs/sweep"))

    @property
    def threads(self):
        return self.experiment.get("threads")

    def points(self) -> list[Point]:
        return expand(self.sweep, self.experiment)

    def runs(self, points: list[Point]) -> list[Point]:
        """Every run a point may train: the point itself, or one per searched value."""
        return self.search.expand(points) if self.search else points

    def seed_values(self, count: int | None = None, default: int = 1) -> list[int]:
        """task.seed, +1, ...: `count` of them (--seeds), else the file's seeds:, else `default`."""
        count = count if count is not None else self.seeds if self.seeds is not None else default
        check_seeds(count)
        first = (self.experiment.get("task") or {}).get("seed", 0)
        return list(range(first, first + count))

    def check_settings(self, points: list[Point], seeds: list[int]) -> None:
        """The settings read only after runs train (the search's split, key and values), checked before any run
        trains; `statetrack reproduce --dry-run` runs this too."""
        if self.search:
            self.search.check_runs(points, lambda point: point.config(self.root, seeds[0]))

    def check(self, points: list[Point], seeds: list[int]) -> None:
        """Before any run trains: `check_settings`, every run's config, and each distinct dataset's test splits
        (generated now, cached for the runs): a typo or an empty test split in the last run must not waste the first
        ones. Every run folder first: one holding another finished run is refused, never replaced, without
        overwrite."""
        self.check_settings(points, seeds)
        root, runs = self.root, self.runs(points)
        output_folder(root, "output_dir")
        for point in runs:
            for seed in seeds:
                cfg = point.config(root, seed)
                if not stale(cfg):  # an interrupted run of an edited sweep is cleared, see `grid.run_or_reuse`
                    check_output_dir(cfg)
        checked = set()
        for point in runs:
            for seed in seeds:
                cfg = point.config(root, seed)  # the schema refuses num_test 0 (the summary needs a test split)
                check_test_splits(cfg, point.name, checked)


def check_test_splits(cfg: ExperimentConfig, name: str, checked: set) -> None:
    """A run's dataset (once per distinct one in `checked`): warnings for sparse test bins, an error for an empty
    test split."""
    key = json.dumps([cfg.task, cfg.evaluation.test_lengths], sort_keys=True, default=str)
    if key in checked:
        return
    checked.add(key)
    warn_once(cfg.sparse_test_warnings())
    empty = [split for split, rows in task_splits(cfg).items() if split.startswith("test") and len(rows) == 0]
    if empty:
        raise StateTrackError(f"sweep run {name}: split {empty[0]} has no rows (every test row also "
                              f"occurs in train or validation); widen the test lengths or lower num_train")


def check_seeds(count) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise StateTrackError(f"seeds must be a whole number >= 1, got {count!r}")


def load_sweep(path: str, overrides: list[str] = (), output_dir: str | None = None) -> SweepConfig:
    """A sweep YAML file with ``--set`` overrides (the sweep keys too, e.g. search.split=test) and ``--output-dir``."""
    raw = read_yaml(path)
    for assignment in overrides:
        apply_override(raw, assignment)
    if output_dir:
        raw["output_dir"] = output_dir
    return SweepConfig.from_dict(raw)

"""Planning a benchmark: the suite's tasks x the models -> one sweep point each (its width matched to the budget),
the sweep that trains them, and what ``--dry-run`` prints.

A point is named ``<task id>-<model id>`` and its seeds train in ``<output_dir>/<point>/seed<k>``, as every sweep's
do; the widths are a pure function of the suite and the models, so a second invocation plans the same configs
and the sweep reads the finished runs back instead of training them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...core.files import resolve
from ...data.params import GenerationParams
from ..config import ModelSection, apply_override
from ..grid import Point
from ..reproduce import data_facts
from ..sweep_config import SweepConfig
from .models import BenchModel, budget_target, match_width, parameter_count, parse_models
from .suite import Suite, SuiteTask, load_suite, merged


@dataclass
class BenchmarkSweep(SweepConfig):
    """A sweep whose points are given (one per task and model) instead of expanded from a ``sweep:`` section;
    everything else (checks, seeds, launchers, resume, summaries) is the sweep's."""

    planned: list = field(default_factory=list)

    def points(self) -> list[Point]:
        return list(self.planned)


@dataclass
class Cell:
    task: SuiteTask
    model: BenchModel
    point: Point
    hidden_size: int | None  # the width the run trains with, where the model has one
    budget_parameters: int | None  # its parameters outside embedding tables, as planned


@dataclass
class Plan:
    suite: Suite
    scale: str | None
    models: list[BenchModel]
    cells: list[Cell]
    sweep: BenchmarkSweep
    seeds: list[int]
    targets: dict  # task id -> the parameter count widths match (None: widths as given)

    @property
    def root(self) -> Path:
        return self.sweep.root


def task_sizes(task: dict) -> tuple[int, int]:
    """(vocab_size, num_labels) a model trained on this task section is built with (one extra id pads)."""
    task = GenerationParams.resolve(**task).task()
    return len(task.vocab) + 1, len(task.label_vocab)


def plan_cell(suite: Suite, task: SuiteTask, model: BenchModel, target: int | None, sizes: tuple[int, int],
              overrides: list[str]) -> Cell:
    section = dict(model.model)
    width = section.get("hidden_size")
    if target is not None and model.matched:
        width, count = match_width(section, target, *sizes)
        section["hidden_size"] = width
    else:
        count = parameter_count(section, *sizes)
    raw = merged(task.experiment(suite.run), {"model": section, "training": model.training,
                                              "evaluation": {"threshold": suite.threshold}})
    for assignment in overrides:
        apply_override(raw, assignment)
    name = f"{task.id}-{model.id}"
    return Cell(task, model, Point(name, {"task": task.id, "model": model.id}, raw), width, count)


def make_plan(suite_path: str | None = None, scale: str | None = None, models: str | list | None = None,
              seeds: int | None = None, overrides: list[str] = (), output_dir: str | None = None) -> Plan:
    """Every run of the benchmark, checked as far as needs no data: the suite, the models, the widths."""
    suite = load_suite(suite_path, scale)
    scale = suite.scale
    chosen = parse_models(models if models is not None else suite.models)
    root = resolve(output_dir or f"outputs/benchmark/{suite.name}" + (f"-{scale}" if scale else ""))
    cells, targets = [], {}
    for task in suite.tasks:
        sizes = task_sizes(task.experiment(suite.run)["task"])
        targets[task.id] = budget_target(suite.budget, *sizes)
        cells += [plan_cell(suite, task, model, targets[task.id], sizes, list(overrides)) for model in chosen]
    first = cells[0].point.raw
    sweep = BenchmarkSweep(experiment={"output_dir": str(root), "task": {"seed": first["task"].get("seed", 0)},
                                       "threads": first.get("threads")},
                           seeds=suite.seeds, estimate_s_per_run=suite.estimate_s_per_run,
                           planned=[c.point for c in cells])
    return Plan(suite, scale, chosen, cells, sweep, sweep.seed_values(seeds), targets)


def budget_note(plan: Plan) -> str:
    """One sentence on the parameter budget, for the dry run and the scorecard."""
    budget = plan.suite.budget
    if budget is None:
        return "Widths as each model gives them (no parameter budget)."
    counts = sorted({t for t in plan.targets.values() if t is not None})
    span = f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,} to {counts[-1]:,}"
    source = f"the budget model {ModelSection.from_dict(budget).label()}" if isinstance(budget, dict) else \
        "the suite's budget"
    return (f"Widths matched to {span} parameters outside embedding tables ({source}, per task); depths as each "
            f"model gives them.")


def dry_run(plan: Plan) -> str:
    """Every run with its model and data, the widths, the run count and the time estimate. Every config is built
    (and checked) on the way; no data is generated."""
    root, seeds = plan.root, plan.seeds
    lines = []
    for c in plan.cells:
        cfg = c.point.config(root, seeds[0])
        size = f"H{c.hidden_size}, " if c.hidden_size else ""
        count = f"{c.budget_parameters:,} parameters" if c.budget_parameters else "parameters unknown"
        facts = f"{c.model.spec} {size}{count}; {data_facts(cfg)}"
        lines += [f"{c.point.name} seed {seed}  ({facts})" for seed in seeds]
    tasks, models = len(plan.suite.tasks), len(plan.models)
    summary = (f"benchmark {plan.suite.name}" + (f" ({plan.scale} scale)" if plan.scale else "") +
               f": {len(lines)} runs ({tasks} tasks x {models} models x {len(seeds)} seeds)")
    estimate = plan.suite.estimate_s_per_run
    if estimate and plan.scale != "paper":
        summary += (f"; measured about {estimate:g} s per run with 2 runs at once on 2 CPU cores (--max-parallel 2): "
                    f"about {len(lines) * estimate / 60:.0f} min")
    return "\n".join([*lines, budget_note(plan), summary, f"outputs: {root}/"])

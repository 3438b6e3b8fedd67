"""``statetrack benchmark``: one command, one state-tracking scorecard for any set of architectures.

    statetrack benchmark --dry-run                                   # every run, the widths, the time estimate
    statetrack benchmark --max-parallel 2                            # the default suite and models, CPU scale
    statetrack benchmark --models transformer,lstm,arch:rwkv,my_model.yaml --seeds 1
    statetrack benchmark --suite my_suite.yaml --scale paper --launcher ray

The suite (`suite`; default ``default.yaml`` here) lists tasks and their protocol; the models (`models`) are
presets, transformers architectures or model files, each widened or narrowed to the same parameter budget. Every
task x model is one point of a sweep (`plan`), so seeds, ``--max-parallel``, Ray and resuming a killed benchmark
are the sweep's. The scorecard (`reporting.scorecard`: ``scorecard.md``, ``scorecard.json``, ``scorecard.png``,
``score_by_state_size.png``) is computed from the run folders, beside the sweep's own ``summary.md``.
"""

from __future__ import annotations

import json

from ...data.params import parse_length
from ...reporting.scorecard import scorecard, write_scorecard
from ..launchers import LaunchOptions
from ..sweep import run
from .plan import Plan, budget_note, dry_run, make_plan


def card_of(plan: Plan, summary: dict) -> dict:
    """The scorecard's JSON from the sweep's summary (finished points) and summary.json (failed runs)."""
    recorded = json.loads((plan.root / "summary.json").read_text())
    tasks = [{"id": t.id, "class": t.kind, "task": t.task["name"],
              "train_length": list(parse_length(t.task["train_length"], "")),
              "ood_length": list(parse_length(t.ood, "")), "ood_split": t.ood_split} for t in plan.suite.tasks]
    models = [{"id": m.id, "spec": m.spec, "model": m.model} for m in plan.models]
    cells = {(c.model.id, c.task.id): {"runs": summary.get(c.point.name, []), "hidden_size": c.hidden_size,
                                       "budget_parameters": c.budget_parameters,
                                       "failed": recorded.get(c.point.name, {}).get("failed", {})}
             for c in plan.cells}
    budget = plan.suite.budget
    meta = {"suite": plan.suite.name, "description": plan.suite.description, "scale": plan.scale,
            "score": plan.suite.score,
            "threshold": plan.suite.threshold, "seeds": plan.seeds,
            "budget": {"model": budget if isinstance(budget, dict) else None,
                       "parameters": budget if isinstance(budget, int) else None, "per_task": plan.targets,
                       "note": budget_note(plan)}}
    return scorecard(meta, tasks, models, cells)


def run_benchmark(plan: Plan, launch: LaunchOptions | None = None) -> dict:
    """Train (or read back) every run of the plan, then write the scorecard (`reporting.scorecard`) into the plan's
    folder; returns its JSON."""
    card = card_of(plan, run(plan.sweep, plan.seeds, launch))
    write_scorecard(card, plan.root)
    return card


def failed_runs(card: dict) -> int:
    """The runs that failed or did not finish, over every cell of a scorecard."""
    return sum(len(cell["failed"]) for cells in card["cells"].values() for cell in cells.values())


__all__ = ["Plan", "dry_run", "failed_runs", "make_plan", "run_benchmark"]

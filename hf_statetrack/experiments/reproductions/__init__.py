"""The papers' reproductions, one module each, found by importing every module of this package.

A reproduction is its sweep files, ``eval_configs/reproduce/NAME-cpu.yaml``, ``NAME-paper.yaml`` and any ablation
``NAME-<scale>.yaml`` (`reproduce`), and the module ``NAME.py`` here: the paper's numbers and the report that puts
a sweep's results beside them (``report: NAME`` in a sweep file writes ``report.md``). The module registers
itself at its end:

    register(__name__, my_report, order=4)      # my_report(root, summary, cfg) -> the report's Markdown
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...core.files import atomic_write
from ...core.registry import Registry
from ...reporting.results import Results


@dataclass(frozen=True)
class Reproduction:
    name: str  # the module's name: the prefix of its YAML files, `statetrack reproduce NAME`, `report: NAME`
    report: Callable[[Path, dict, object], str]  # (the sweep's folder, point -> per-seed results, its SweepConfig)
    order: int  # where `statetrack reproduce --list` shows it


REPORTS = Registry("report")


def register(module: str, report: Callable, order: int) -> None:
    """Called by each module of this package for itself: ``register(__name__, report, order=...)``."""
    name = module.rsplit(".", 1)[-1]
    REPORTS.register(name, Reproduction(name, report, order))


def discover() -> Registry:
    """Import every module of this package once (each registers itself); the registry."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return REPORTS


def lookup(name: str) -> Reproduction:
    """The reproduction (and report) called `name`; an unknown name says which exist."""
    return discover().lookup(name)


def names() -> list[str]:
    """Every reproduction, in `statetrack reproduce --list` order."""
    found = discover()
    return sorted(found.names(), key=lambda name: found.lookup(name).order)


def write_report(name: str, root: Path, summary: dict[str, list[Results]], cfg) -> Path:
    atomic_write(root / "report.md", lookup(name).report(root, summary, cfg))
    return root / "report.md"


def model_of(results: Results) -> dict:
    """The model section a finished run was trained with."""
    return results.settings["experiment"]["model"]

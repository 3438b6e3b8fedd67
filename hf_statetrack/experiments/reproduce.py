"""``statetrack reproduce NAME``: the papers' headline experiments, one command each.

    statetrack reproduce --list
    statetrack reproduce illusion_of_state --dry-run              # every run, their count, the time estimate
    statetrack reproduce illusion_of_state                         # CPU scale (default), 1 seed
    statetrack reproduce sarrof_formal_languages --scale paper --seeds 3     # the paper's protocol (GPUs)

A thin front door: NAME and scale pick ``eval_configs/reproduce/NAME-{cpu,paper}.yaml``, which plain
``statetrack sweep`` runs the same way (seeds, minimum-depth search, resume and the report next to the
paper all come from the sweep).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import StateTrackError
from ..registry import did_you_mean
from .grid import expand, seed_list
from .launchers import LaunchOptions
from .search import SearchSpec
from .sweep import check_settings, load_sweep, run_sweep, sweep_root

CONFIG_DIR = Path(__file__).resolve().parents[2] / "eval_configs" / "reproduce"
NAMES = ("illusion_of_state", "sarrof_formal_languages", "negative_eigenvalues")
SCALES = ("cpu", "paper")
DEFAULT_SEEDS = {"cpu": 1, "paper": 3}


def config_path(name: str, scale: str) -> Path:
    if name not in NAMES:
        raise StateTrackError(f"unknown reproduction {name!r}; {did_you_mean(name, NAMES)}available: "
                              f"{', '.join(NAMES)}")
    if scale not in SCALES:
        raise StateTrackError(f"--scale must be one of {', '.join(SCALES)}, got {scale!r}")
    path = CONFIG_DIR / f"{name}-{scale}.yaml"
    if not path.is_file():
        raise StateTrackError(f"{path} not found: statetrack reproduce reads eval_configs/reproduce/ of a source "
                              f"checkout (git clone the repository and pip install -e .)")
    return path


def describe(name: str) -> str:
    """The first comment line of the CPU config: what the reproduction shows."""
    first = config_path(name, "cpu").read_text().splitlines()[0]
    return first.lstrip("# ").strip()


def list_reproductions() -> str:
    return "\n".join(f"{name:<26} {describe(name)}" for name in NAMES)


def plan(name: str, scale: str, seeds: int | None, overrides: list[str], output_dir: str | None) -> str:
    """Every run the reproduction may train (a search stops early, so it is an upper bound), and the estimate."""
    raw = load_sweep(str(config_path(name, scale)), overrides, output_dir)
    seed_values = seed_list(raw, seeds if seeds is not None else raw.get("seeds", DEFAULT_SEEDS[scale]))
    points = expand(raw)
    search = SearchSpec.from_raw(raw["search"], raw.get("sweep") or {}) if raw.get("search") else None
    runs = search.expand(points) if search else points
    root = sweep_root(raw)
    lines = [f"{point.name} seed {seed}" for point in runs for seed in seed_values]
    for point in runs:  # the configs of every run are valid before anything trains
        point.config(root, seed_values[0])
    check_settings(raw, points, search, root, seed_values)
    bound = "at most " if search else ""
    summary = f"{name} ({scale} scale): {bound}{len(lines)} runs ({len(points)} points x {len(seed_values)} seeds"
    summary += f" x {len(search.values)} values of {search.key})" if search else ")"
    estimate = raw.get("estimate_s_per_run")
    if scale == "cpu" and estimate:
        minutes = len(lines) * estimate / 60
        summary += f"; measured about {estimate:g} s per run on 2 CPU cores: {bound}{minutes:.0f} min"
    return "\n".join([*lines, summary, f"outputs: {root}/"])


def reproduce(name: str, scale: str = "cpu", seeds: int | None = None, overrides: list[str] = (),
              output_dir: str | None = None, launch: LaunchOptions | None = None):
    path = config_path(name, scale)
    raw = load_sweep(str(path), overrides, output_dir)
    count = seeds if seeds is not None else raw.get("seeds", DEFAULT_SEEDS[scale])
    return run_sweep(str(path), overrides, seeds=count, output_dir=output_dir, launch=launch)

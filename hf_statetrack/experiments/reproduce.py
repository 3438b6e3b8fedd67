"""``statetrack reproduce NAME``: the papers' headline experiments, one command each.

    statetrack reproduce --list
    statetrack reproduce illusion_of_state --dry-run              # every run, their count, the time estimate
    statetrack reproduce illusion_of_state                         # CPU scale (default), 1 seed
    statetrack reproduce sarrof_formal_languages --scale paper --seeds 3     # the paper's protocol (GPUs)
    statetrack reproduce sarrof_formal_languages --scale tomita3_targets     # an ablation (CPU), see --list

A thin front door: NAME and scale pick ``eval_configs/reproduce/NAME-<scale>.yaml`` (``cpu``, ``paper``, or an
ablation that explains a difference from the paper), which plain ``statetrack sweep`` runs the same way (seeds,
minimum-depth search, resume and the report next to the paper all come from the sweep). The names are the modules
of `reproductions` (each holds its paper's numbers and its report).
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import StateTrackError
from ..core.registry import did_you_mean
from .launchers import LaunchOptions
from .reproductions import names
from .sweep import run
from .sweep_config import load_sweep

CONFIG_DIR = Path(__file__).resolve().parents[2] / "eval_configs" / "reproduce"
SCALES = ("cpu", "paper")  # every reproduction has both; an ablation adds NAME-<scale>.yaml, CPU-sized, one seed
DEFAULT_SEEDS = {"cpu": 1, "paper": 3}


def ablations(name: str) -> list[str]:
    """The scales beyond cpu and paper that NAME's folder holds: ["budget", "tomita3_targets"]."""
    found = (path.name.removeprefix(f"{name}-").removesuffix(".yaml") for path in CONFIG_DIR.glob(f"{name}-*.yaml"))
    return sorted(scale for scale in found if scale not in SCALES)


def config_path(name: str, scale: str) -> Path:
    if name not in names():
        raise StateTrackError(f"unknown reproduction {name!r}; {did_you_mean(name, names())}available: "
                              f"{', '.join(names())}")
    if scale not in (*SCALES, *ablations(name)):
        raise StateTrackError(f"--scale must be one of {', '.join((*SCALES, *ablations(name)))} for {name}, got "
                              f"{scale!r}")
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
    return "\n".join(f"{name:<26} {describe(name)}" + (f" (ablations: --scale {', '.join(ablations(name))})"
                                                         if ablations(name) else "") for name in names())


def plan(name: str, scale: str, seeds: int | None, overrides: list[str], output_dir: str | None) -> str:
    """Every run the reproduction may train (a search stops early, so it is an upper bound), and the estimate."""
    cfg = load_sweep(str(config_path(name, scale)), overrides, output_dir)
    seed_values = cfg.seed_values(seeds, default=DEFAULT_SEEDS.get(scale, 1))
    points, search, root = cfg.points(), cfg.search, cfg.root
    runs = cfg.runs(points)
    facts = {point.name: data_facts(point.config(root, seed_values[0])) for point in runs}  # every config is valid
    lines = [f"{point.name} seed {seed}  ({facts[point.name]})" for point in runs for seed in seed_values]
    cfg.check_settings(points, seed_values)
    bound = "at most " if search else ""
    summary = f"{name} ({scale} scale): {bound}{len(lines)} runs ({len(points)} points x {len(seed_values)} seeds"
    summary += f" x {len(search.values)} values of {search.key})" if search else ")"
    estimate = cfg.estimate_s_per_run
    if scale != "paper" and estimate:
        minutes = len(lines) * estimate / 60
        summary += f"; measured about {estimate:g} s per run on 2 CPU cores: {bound}{minutes:.0f} min"
    return "\n".join([*lines, summary, f"outputs: {root}/"])


def data_facts(cfg) -> str:
    """"10000 training strings of lengths 1-50; test 2000 per bin: 1-50, 51-100": what a run trains and tests on."""
    params = cfg.generation_params()
    spans = ", ".join(f"{lo}-{hi}" for lo, hi in cfg.test_ranges().values())
    return (f"{params.num_train} training strings of lengths {params.train_length[0]}-{params.train_length[1]}; "
            f"test {params.num_test} per bin: {spans}")


def reproduce(name: str, scale: str = "cpu", seeds: int | None = None, overrides: list[str] = (),
              output_dir: str | None = None, launch: LaunchOptions | None = None):
    cfg = load_sweep(str(config_path(name, scale)), overrides, output_dir)
    return run(cfg, cfg.seed_values(seeds, default=DEFAULT_SEEDS.get(scale, 1)), launch)

"""The package's import graph: no cycles (lazy imports inside functions count too), and data flows one way,
core -> tasks -> stats / text -> data -> models / metrics / reporting -> runtime -> experiments / evaluation /
probing -> cli. A layer is a folder of the package (docs/layout.md says what each holds)."""

import ast
from pathlib import Path

import pytest

import hf_statetrack

ROOT = Path(hf_statetrack.__file__).parent

# top-level part of the package (a folder, or one of the root modules) -> its layer; a part may import only
# parts of lower layers (or itself)
LAYERS = {
    "core": 0,
    "tasks": 1,
    "stats": 2, "text": 2,
    "data": 3,
    "models": 4, "metrics": 4, "reporting": 4,
    "runtime": 5,
    "experiments": 6, "evaluation": 6, "probing": 6,
    "cli": 7, "__init__": 7, "__main__": 8,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def imported(name: str, path: Path) -> set[str]:
    """Every hf_statetrack module `name` imports, at module level or inside a function."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:  # `from .pkg import module` imports the submodule
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_of_the_package_has_a_layer():
    assert {part(m) for m in MODULES} <= set(LAYERS), {part(m) for m in MODULES} - set(LAYERS)


def test_the_layers_are_the_folders():
    """The root holds folders and only the entry points: a new module goes into the folder of its layer."""
    folders = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    root_modules = {p.stem for p in ROOT.glob("*.py")}
    assert root_modules == {"__init__", "__main__", "cli"}, root_modules
    assert folders | root_modules == set(LAYERS), (folders | root_modules) ^ set(LAYERS)


def test_the_public_scoring_path_is_the_stats_module():
    """DESIGN.md's `hf_statetrack.scoring` (import it, or import from it) is `hf_statetrack.stats.scoring` itself."""
    import subprocess
    import sys

    code = ("import hf_statetrack.scoring\nfrom hf_statetrack.scoring import compute_metrics\n"
            "from hf_statetrack.stats import scoring\n"
            "print(hf_statetrack.scoring is scoring, compute_metrics is scoring.compute_metrics)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "True True\n"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles():
    cycle = find_cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_only_lower_layers(module):
    upward = [m for m in GRAPH[module] if part(m) != part(module) and LAYERS[part(m)] >= LAYERS[part(module)]]
    assert not upward, f"{module} (layer {LAYERS[part(module)]}) imports {upward}"


def test_importing_the_package_for_data_loads_neither_torch_nor_transformers():
    """Data work must not pay for torch and transformers (seconds of import); models load on first use."""
    import subprocess
    import sys

    code = ("import sys, hf_statetrack\nds = hf_statetrack.get_task('S3')\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import hf_statetrack, sys\nhf_statetrack.models\nprint('transformers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "True\n"

"""The package's import graph: no cycles (lazy imports inside functions count too), and data flows one way,
intervals -> length bins -> tasks -> text / scoring -> data -> models / metrics / plots -> shared pieces ->
experiments / evaluation / probing -> cli."""

import ast
from pathlib import Path

import pytest

import hf_statetrack

ROOT = Path(hf_statetrack.__file__).parent

# top-level part of the package -> its layer; a part may import only parts of lower layers (or itself)
LAYERS = {
    "errors": 0, "version": 0, "registry": 1, "upstream": 1, "yaml_loader": 1, "limits": 1, "intervals": 1,
    "threads": 1, "files": 1, "tasks": 2, "length_bins": 2,
    "text": 3, "scoring": 3,
    "data": 4,
    "models": 5, "metrics": 5, "plots": 5,
    "tagging": 6, "checkpoints": 6, "mamba_hook": 6, "results": 6,
    "experiments": 7, "evaluation": 7, "probing": 7,
    "cli": 8, "__init__": 8, "__main__": 9,
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

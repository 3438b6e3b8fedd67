"""YAML as experiments and ``--set`` / ``--param`` values are written: safe loading, ``3e-4`` read as a float
(YAML 1.1 insists on ``3.0e-4``), and one-line errors. Light (no torch), so the CLI can parse values before
anything heavy loads.

>>> parse_yaml("lr: 3e-4")
{'lr': 0.0003}
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .errors import StateTrackError


class YamlLoader(yaml.SafeLoader):
    """Safe YAML that also reads ``3e-4`` as a float and refuses a key given twice in one mapping (PyYAML
    would keep the last one silently: a second ``training:`` section would drop the first's keys)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping; keep one (merge their values)",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."),
)


def parse_yaml(text: str, what: str = "the value"):
    """Parse YAML text; malformed text is one line naming `what` and the place."""
    try:
        return yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise StateTrackError(f"{what} is not valid YAML{where}: {getattr(err, 'problem', err)}") from None


def read_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise StateTrackError(f"config file {path} does not exist")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise StateTrackError(f"config file {path} cannot be read: {err}") from None
    raw = parse_yaml(text, str(path))
    if not isinstance(raw, dict):
        raise StateTrackError(f"{path} must hold a mapping with task:, model:, training: ... sections")
    return raw

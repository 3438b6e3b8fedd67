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
    """Safe YAML that also reads ``3e-4`` as a float."""


YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."),
)


def parse_yaml(text: str):
    return yaml.load(text, Loader=YamlLoader)


def read_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise StateTrackError(f"config file {path} does not exist")
    try:
        raw = parse_yaml(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise StateTrackError(f"{path} is not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    if not isinstance(raw, dict):
        raise StateTrackError(f"{path} must hold a mapping with task:, model:, training: ... sections")
    return raw

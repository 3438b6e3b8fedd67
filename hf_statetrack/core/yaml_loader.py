"""YAML as experiments and ``--set`` / ``--param`` values are written: safe loading, ``3e-4`` read as a float
(YAML 1.1 insists on ``3.0e-4``), merge keys (``<<: *base``), and one-line errors. Only plain values come
out (mappings with scalar keys, lists, strings, numbers, booleans, null): a ``!!set``, a date or a list used
as a key is refused here, so no later check meets a type it does not know. Light (no torch), so the CLI can
parse values before anything heavy loads.

>>> parse_yaml("lr: 3e-4")
{'lr': 0.0003}
>>> parse_yaml("a: !!set {x}")
Traceback (most recent call last):
...
hf_statetrack.core.errors.StateTrackError: the value: a is a set (!!set); write a list instead, e.g. [x, y]
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import yaml

from .errors import StateTrackError

SCALARS = (str, int, float, bool, type(None))
# What safe YAML builds beyond plain values, and how to write the value instead.
NOT_PLAIN = {set: "a set (!!set); write a list instead, e.g. [x, y]",
             datetime.date: "a date; quote it to keep it as text, e.g. '2024-01-31'",
             bytes: "binary data (!!binary); write a string", tuple: "a list of pairs (!!omap); write a mapping"}


class YamlLoader(yaml.SafeLoader):
    """Safe YAML that also reads ``3e-4`` as a float and refuses a key given twice in one mapping (PyYAML
    would keep the last one silently: a second ``training:`` section would drop the first's keys)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base`: this mapping's own keys may override the merged ones
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, SCALARS):
                raise yaml.constructor.ConstructorError(
                    None, None, f"a key must be a plain value (a name or a number), got {type(key).__name__} "
                    f"{key!r}", key_node.start_mark)
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
        value = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise StateTrackError(f"{what} is not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    check_plain(value, what)
    return value


def check_plain(value, what: str, where: str = "") -> None:
    """Refuse, naming the dotted place, any value that is not a mapping, list, string, number, bool or null."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_plain(item, what, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_plain(item, what, f"{where}[{i}]")
    elif not isinstance(value, SCALARS):
        kind = next((text for t, text in NOT_PLAIN.items() if isinstance(value, t)), type(value).__name__)
        raise StateTrackError(f"{what}: {where or 'the value'} is {kind}")


def bool_hint(value) -> str:
    """`save_strategy: no` reaches us as False: say how to keep the word."""
    if isinstance(value, bool):
        return " (YAML reads unquoted yes/no/on/off as true/false; quote the word to keep it, e.g. 'no')"
    return ""


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

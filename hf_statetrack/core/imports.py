"""Importing the user's own code by name: `model: {import: my_pkg.modeling}`, `model: {module: "my_pkg.models:MyNet"}`
and ``--import MODULE`` on the command line. Importing runs that code, as ``import`` does.

The working directory is searched last (the `statetrack` script, unlike ``python -m``, does not put it on sys.path),
so a package folder beside the experiment YAML imports without being installed. A failure is one line naming the
name and what to do; a module whose import raises gives that exception's type and message.

>>> load_object("collections:OrderedDict", "model.module").__name__
'OrderedDict'
>>> load_object("collections:OrderedDikt", "model.module")
Traceback (most recent call last):
...
hf_statetrack.core.errors.StateTrackError: model.module: module collections has no attribute 'OrderedDikt'; \
did you mean 'OrderedDict' or 'UserDict'? write it as package.module:Name
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys

from .errors import StateTrackError
from .registry import did_you_mean

DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_COMMAND_LINE: list[str] = []  # --import modules of the running command (`command_line_imports`)


def check_module_name(name, what: str) -> str:
    """`name` must be a dotted module name such as my_pkg.modeling."""
    if not isinstance(name, str) or not DOTTED.fullmatch(name):
        raise StateTrackError(f"{what}: {name!r} is not a module name; write a dotted name such as my_pkg.modeling")
    return name


def import_module(name: str, what: str):
    """The module `name`, imported (the working directory searched last); one line if it is missing or raises."""
    check_module_name(name, what)
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name and (name == err.name or name.startswith(err.name + ".")):  # the module itself, not a dependency
            raise StateTrackError(f"{what}: no module named {name!r} (no {err.name!r} on the Python path); install "
                                  f"its package, or run from the folder holding it, or add that to PYTHONPATH") \
                from None
        raise StateTrackError(f"{what}: importing {name} failed ({type(err).__name__}: {err}); install what it "
                              f"imports") from None
    except Exception as err:  # the user's code raised while being imported
        text = " ".join(str(err).split())[:240]
        raise StateTrackError(f"{what}: importing {name} failed ({type(err).__name__}: {text}); fix the module") \
            from None


def import_modules(names, what: str) -> list[str]:
    """Each of `names` (a name or a list of them) imported in order; returns them as a list."""
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, (list, tuple)):
        raise StateTrackError(f"{what} takes a module name or a list of them, e.g. my_pkg.modeling; got {names!r}")
    for name in names:
        import_module(name, what)
    return list(names)


def load_object(path, what: str):
    """``"package.module:Name"`` -> the object `Name` of that module (a class or function), imported."""
    if not isinstance(path, str) or path.count(":") != 1:
        raise StateTrackError(f"{what} must be 'package.module:Name' (the module, a colon, the class or function), "
                              f"e.g. my_pkg.models:MyNet; got {path!r}")
    module_name, attribute = path.split(":")
    module = import_module(module_name, what)
    if not attribute.isidentifier():
        raise StateTrackError(f"{what}: {attribute!r} after the colon is not a name; write it as package.module:Name")
    if not hasattr(module, attribute):
        public = [n for n in vars(module) if not n.startswith("_")]
        raise StateTrackError(f"{what}: module {module_name} has no attribute {attribute!r}; "
                              f"{did_you_mean(attribute, public)}write it as package.module:Name")
    return getattr(module, attribute)


@contextlib.contextmanager
def command_line_imports(names: list[str]):
    """While a command runs: `names` (its ``--import`` flags) are imported now, and every experiment's model
    section built meanwhile lists them (`command_line`), so worker processes and saved checkpoints import them too."""
    import_modules(names, "--import")
    _COMMAND_LINE[:] = names
    try:
        yield
    finally:
        _COMMAND_LINE.clear()


def command_line() -> list[str]:
    """The ``--import`` modules of the running command ([] outside one)."""
    return list(_COMMAND_LINE)

"""Documented size limits, checked before any work starts, each raised by one environment variable.

    group order    5040 (|S7|)      HF_STATETRACK_MAX_GROUP_ORDER   a Cayley table is order^2 entries
    length         100000           HF_STATETRACK_MAX_LENGTH        one row's length (a test length, too)
    rows           100000000        HF_STATETRACK_MAX_ROWS          rows of one split
    parameter      10000            HF_STATETRACK_MAX_PARAMETER     a task's whole-number parameter (a depth,
                                                                    a count of states, variables or boxes)
    shots          1000             HF_STATETRACK_MAX_SHOTS         solved rows before each in-context query

Without them a typo (``S99999999``, ``num_train=10**12``, a length of 10^9) hangs or fills the memory
instead of failing. The message names the variable, e.g.
``HF_STATETRACK_MAX_LENGTH=200000 statetrack generate ...``.

>>> check_limit("length", 50, "train_length")
>>> check_limit("length", 10**9, "train_length")
Traceback (most recent call last):
...
hf_statetrack.core.errors.StateTrackError: train_length 1000000000 is above the limit 100000 on a row's length; \
set HF_STATETRACK_MAX_LENGTH=1000000000 to allow it (it may need a lot of memory and time)
"""

from __future__ import annotations

import math
import os

from .errors import StateTrackError

LIMITS = {  # name -> (environment variable, default, what it bounds)
    "group_order": ("HF_STATETRACK_MAX_GROUP_ORDER", 5040, "a group's order"),
    "length": ("HF_STATETRACK_MAX_LENGTH", 100_000, "a row's length"),
    "rows": ("HF_STATETRACK_MAX_ROWS", 100_000_000, "the rows of one split"),
    "parameter": ("HF_STATETRACK_MAX_PARAMETER", 10_000, "a task's whole-number parameter"),
    "shots": ("HF_STATETRACK_MAX_SHOTS", 1000, "the solved rows before each in-context query"),
}


def limit(name: str) -> int:
    variable, default, _ = LIMITS[name]
    value = os.environ.get(variable)
    if value is None:
        return default
    if not value.strip().isdecimal() or not value.isascii():  # isdigit() also passes "²", which int() refuses
        raise StateTrackError(f"{variable} must be a whole number, got {value!r}")
    return int(value)


def check_limit(name: str, value: int, what: str, shown: str | None = None) -> None:
    """Refuse `value` above the limit `name`; `shown` replaces the value in the message (e.g. "99999999!")."""
    if value > limit(name):
        variable, _, bound = LIMITS[name]
        raise StateTrackError(f"{what} {shown or value} is above the limit {limit(name)} on {bound}; set "
                              f"{variable}={value if shown is None else 'N'} to allow it (it may need a lot of "
                              f"memory and time)")


def check_number(value, what: str, lo: float, hi: float, lo_open: bool = True) -> float:
    """A real number in (lo, hi] (or [lo, hi] with lo_open=False); booleans, strings, NaN and inf are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StateTrackError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(value) or value < lo or (lo_open and value == lo) or value > hi:
        raise StateTrackError(f"{what} must be a number in {'(' if lo_open else '['}{lo:g}, {hi:g}], got {value!r}")
    return value

"""The parameters every task shares, validated once and put in canonical form.

A length is an int or an inclusive ``(min, max)`` range; validation uses the train lengths and the
test split defaults to them. The canonical form (`as_dict`) is what cache keys and dataset cards hash.
`distinct=True` (rows drawn without replacement across all splits, see `data.distinct`) needs one
fixed length for every split.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from ..core.errors import StateTrackError
from ..core.limits import check_limit
from ..tasks import Task, get_task

LengthRange = tuple[int, int]
SPLITS = ("train", "validation", "test")
DEFAULT_LENGTH = (2, 16)  # train (and test) lengths of a task without a literature protocol


def parse_length(value, what: str) -> LengthRange:
    """``20`` -> (20, 20); ``(1, 20)``, ``[1, 20]``, ``"1-20"`` or ``"1,20"`` -> (1, 20)."""
    if isinstance(value, str):
        parts = value.replace("-", ",").split(",")
        try:
            value = [int(p) for p in parts] if len(parts) > 1 else int(parts[0])
        except ValueError:
            raise StateTrackError(f"{what} must be an int or a range like 1-20, got {value!r}") from None
    if isinstance(value, bool) or value is None:
        raise StateTrackError(f"{what} is required: give an int or an inclusive (min, max) range")
    if isinstance(value, int):
        lo = hi = value
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        lo, hi = value
    else:
        raise StateTrackError(f"{what} must be an int or an inclusive (min, max) range, got {value!r}")
    if lo > hi:
        raise StateTrackError(f"{what} range ({lo}, {hi}) has min > max; write ({hi}, {lo})")
    return int(lo), int(hi)


def compact(length: LengthRange):
    """(20, 20) -> 20; (1, 20) stays: the spelling `load_dataset` takes and messages show."""
    return length[0] if length[0] == length[1] else length


def _check_count(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StateTrackError(f"{what} must be a whole number, got {value!r}")
    if value < 0:
        raise StateTrackError(f"{what} must be >= 0, got {value}")
    check_limit("rows", value, what)
    return value


def _check_distinct(distinct, train: LengthRange, test: LengthRange) -> None:
    """Distinct strings are drawn from one pool, so every split must share one length (a range would make
    the row lengths follow how many strings each length has, not the requested uniform draw)."""
    if not isinstance(distinct, bool):
        raise StateTrackError(f"distinct must be True or False, got {distinct!r}")
    if distinct and (train != test or train[0] != train[1]):
        raise StateTrackError(f"distinct=True needs one fixed length for every split, got train_length="
                              f"{compact(train)} and test_length={compact(test)}; give train_length=L and omit "
                              f"test_length")


@dataclass(frozen=True)
class GenerationParams:
    """Everything that determines a generated dataset's rows."""

    name: str
    train_length: LengthRange
    test_length: LengthRange
    num_train: int
    num_test: int
    num_validation: int
    seed: int
    task_params: dict = field(default_factory=dict)
    distinct: bool = False  # every input at most once across all splits (`data.distinct`)

    @classmethod
    def resolve(cls, name: str, *, train_length=None, test_length=None, num_train=None, num_test=None,
                num_validation=None, seed: int = 0, distinct: bool = False, **task_params) -> GenerationParams:
        """Validate user input; `num_validation` defaults to `num_test`, `test_length` to `train_length`.

        Without `train_length`, every task follows one rule: a task with a literature protocol
        (``task.protocol``, e.g. train 1..40 and test 41..500 for the Chomsky-hierarchy tasks) uses its
        lengths for both splits; any other (word problems, text tasks) uses `DEFAULT_LENGTH` (2..16)."""
        task = get_task(name, **task_params)
        if train_length is None:
            protocol = task.protocol or {"train_length": DEFAULT_LENGTH, "test_length": None}
            train_length = protocol["train_length"]
            test_length = protocol["test_length"] if test_length is None else test_length
        train = parse_length(train_length, "train_length")
        test = train if test_length is None else parse_length(test_length, "test_length")
        for what, (lo, hi) in (("train_length", train), ("test_length", test)):
            check_limit("length", hi, what)  # before any work on the lengths: 10^9 would hang below
            task.check_length(lo, what)
            if len(task.length_support(lo, hi)) == 0:
                raise StateTrackError(f"task {name} has no strings of any length in [{lo}, {hi}] ({what}); "
                                      f"widen the range (`statetrack tasks {name}` says which lengths exist)")
        if num_train is None or num_test is None:
            raise StateTrackError("num_train and num_test are required (numbers of rows to generate)")
        num_train, num_test = _check_count(num_train, "num_train"), _check_count(num_test, "num_test")
        num_validation = num_test if num_validation is None else _check_count(num_validation, "num_validation")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise StateTrackError(f"seed must be a non-negative int, got {seed!r}")
        _check_distinct(distinct, train, test)
        return cls(name, train, test, num_train, num_test, num_validation, seed, task.params, distinct)

    def task(self) -> Task:
        return get_task(self.name, **self.task_params)

    def split_spec(self, split: str) -> tuple[int, LengthRange]:
        """(number of rows, length range) of a split."""
        return {"train": (self.num_train, self.train_length),
                "validation": (self.num_validation, self.train_length),
                "test": (self.num_test, self.test_length)}[split]

    def as_dict(self) -> dict:
        """Canonical form; `distinct` appears only when True, so older cache keys stay valid."""
        d = asdict(self)
        d["train_length"], d["test_length"] = list(self.train_length), list(self.test_length)
        if not self.distinct:
            del d["distinct"]
        return d

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]

    def load_kwargs(self) -> dict:
        """The keywords of `hf_statetrack.load_dataset` (after the name) that rebuild these params."""
        kwargs = self.as_dict()
        kwargs.pop("name")
        for key in ("train_length", "test_length"):
            kwargs[key] = compact(tuple(kwargs[key]))
        kwargs.update(kwargs.pop("task_params"))
        return kwargs

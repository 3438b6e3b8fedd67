"""Task parameters against their annotations: the task's own messages first, the type and the limit for what
they miss."""

import doctest

import pytest

from hf_statetrack import get_task
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.tasks import param_types


@pytest.mark.parametrize("name, params, message", [
    ("programs", {"modulus": 2.5}, "task programs: parameter modulus must be a whole number, got float 2.5"),
    ("programs", {"num_variables": True}, "parameter num_variables must be a whole number, got bool True"),
    ("dn", {"n": 10**12}, "task dn: parameter n 1000000000000 is above the limit 10000"),
    ("chess_pieces", {"query": False}, "query must be one of square, king, got False (YAML reads unquoted"),
    ("bounded_dyck", {"m": 0}, "bounded_dyck: m (maximum depth) must be a whole number >= 1"),  # the task's own
])
def test_wrong_types_and_sizes_are_one_line(name, params, message):
    with pytest.raises(StateTrackError) as err:
        get_task(name, **params)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_module_doctests():
    assert doctest.testmod(param_types).failed == 0

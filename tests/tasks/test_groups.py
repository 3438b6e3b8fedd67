import itertools

import numpy as np
import pytest

from hf_statetrack import StateTrackError
from hf_statetrack.tasks.group_specs import parse_group

from .reference_groups import multiply

SPECS = ["S3", "S4", "S5", "A4", "A5", "Z2", "Z60", "A4_x_Z5", "D4", "D5", "Q8", "Z3_x_S3", "Z2_x_Z2_x_Z3",
         "perm(2134,2341)"]


@pytest.mark.parametrize("spec", SPECS)
def test_cayley_table_matches_reference_arithmetic(spec):
    g = parse_group(spec)
    names = g.element_names
    pairs = itertools.product(range(g.order), repeat=2) if g.order <= 60 else \
        zip(*np.random.default_rng(0).integers(0, g.order, size=(2, 4000)))
    for a, b in pairs:
        assert names[g.cayley_table[a, b]] == multiply(spec, names[a], names[b]), (names[a], names[b])


@pytest.mark.parametrize("spec", SPECS)
def test_group_axioms(spec):
    t = parse_group(spec).cayley_table.astype(np.int64)
    n = len(t)
    assert (t[0] == np.arange(n)).all() and (t[:, 0] == np.arange(n)).all()  # 0 is the identity
    assert all(sorted(row) == list(range(n)) for row in t)  # Latin square: every element has an inverse
    a, b, c = np.random.default_rng(1).integers(0, n, size=(3, 2000))
    assert (t[t[a, b], c] == t[a, t[b, c]]).all()  # associativity


def test_properties_of_the_papers_groups():
    s5, a5, a4z5, z60 = (parse_group(s) for s in ("S5", "A5", "A4_x_Z5", "Z60"))
    assert (s5.order, s5.is_solvable, s5.is_abelian) == (120, False, False)
    assert (a5.order, a5.is_solvable) == (60, False)
    assert (a4z5.order, a4z5.is_solvable, a4z5.is_abelian) == (60, True, False)
    assert (z60.order, z60.is_abelian, z60.is_solvable) == (60, True, True)
    assert s5.order_counts() == {1: 1, 2: 25, 3: 20, 4: 30, 5: 24, 6: 20}
    assert a5.order_counts() == {1: 1, 2: 15, 3: 20, 5: 24}
    assert s5.derived_series == [120, 60] and a4z5.derived_series == [60, 4, 1]
    assert parse_group("Q8").order_counts() == {1: 1, 2: 1, 4: 6}


def test_documented_element_order_is_stable():
    assert parse_group("S3").element_names == ("123", "132", "213", "231", "312", "321")
    assert parse_group("D3").element_names == ("e", "r", "r^2", "s", "rs", "r^2s")
    assert parse_group("Q8").element_names[:3] == ("1", "-1", "i")
    assert parse_group("Z2_x_Z3").element_names == ("(0,0)", "(0,1)", "(0,2)", "(1,0)", "(1,1)", "(1,2)")


def test_generated_permutation_group_is_the_closure():
    s4 = parse_group("perm(2134,2341)")  # a transposition and a 4-cycle generate S4
    assert s4.element_names == parse_group("S4").element_names
    assert parse_group("perm(2341)").order == 4  # a 4-cycle alone: Z4
    assert parse_group("perm(2341)").is_abelian


@pytest.mark.parametrize("spec,message", [
    ("A4_x_", "malformed group spec"),
    ("perm(1134)", "not a permutation"),
    ("perm(12,123)", "different numbers of points"),
    ("Z0", "n >= 1"),
    ("S9", "above the limit 5040 on a group.s order; set HF_STATETRACK_MAX_GROUP_ORDER=362880"),
])
def test_bad_group_specs(spec, message):
    with pytest.raises(StateTrackError, match=message):
        parse_group(spec)

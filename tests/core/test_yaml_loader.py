"""YAML as configs are written: merge keys work, duplicate keys and values that are not plain data fail in one
line naming the place."""

import doctest
import re

import pytest

from hf_statetrack.core import yaml_loader
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.core.yaml_loader import parse_yaml


def test_merge_keys_merge_and_the_mapping_s_own_keys_win():
    text = "base: &b {lr: 1, epochs: 2}\nrun:\n  <<: *b\n  epochs: 5\n"
    assert parse_yaml(text) == {"base": {"lr": 1, "epochs": 2}, "run": {"lr": 1, "epochs": 5}}


@pytest.mark.parametrize("text, message", [
    ("a: 1\na: 2", "key 'a' appears twice"),
    ("? [1, 2]\n: 3", "a key must be a plain value (a name or a number), got list"),
    ("{a: 1}: 2", "a key must be a plain value (a name or a number), got dict"),
    ("task: {names: !!set {S3, S5}}", "task.names is a set (!!set); write a list"),
    ("seed: 2024-01-31", "seed is a date; quote it"),
    ("x: [1, !!binary aGVsbG8=]", "x[1] is binary data"),
])
def test_what_is_not_plain_data_fails_in_one_line(text, message):
    with pytest.raises(StateTrackError, match=re.escape(message)) as err:
        parse_yaml(text, "cfg.yaml")
    assert "\n" not in str(err.value)


def test_a_bare_no_gets_a_hint_to_quote_it():
    from hf_statetrack.experiments.checks import check_training_values

    with pytest.raises(StateTrackError, match="quote the word to keep it"):
        check_training_values(parse_yaml("save_strategy: no"))


def test_module_doctests():
    assert doctest.testmod(yaml_loader).failed == 0

"""The evaluate module: loads offline from a local path, runs its doctests, matches scoring.py.

`evaluate` reads its cache locations once at import, so the fixture points both its config and
the environment at a temporary HF_HOME, and drops the dynamic-modules package it imports from.
"""

import doctest
import os
import sys

import evaluate
import numpy as np
import pytest

from hf_statetrack import StateTrackError
from hf_statetrack.metrics import METRIC_PATH, load_metric
from hf_statetrack.stats.scoring import compute_metrics
from hf_statetrack.tasks import IGNORE


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("hf_home")
    workdir = tmp_path_factory.mktemp("workdir")
    with pytest.MonkeyPatch.context() as mp:
        for var, value in {"HF_HOME": home, "HF_MODULES_CACHE": home / "modules",
                           "HF_EVALUATE_CACHE": home / "evaluate", "HF_METRICS_CACHE": home / "metrics",
                           "HF_HUB_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1"}.items():
            mp.setenv(var, str(value))
            if hasattr(evaluate.config, var):
                mp.setattr(evaluate.config, var, True if var.endswith("OFFLINE") else value)
        # evaluate appends its modules cache to sys.path: drop one an earlier load (the package's doctests) added
        mp.setattr(sys, "path", [p for p in sys.path if not os.path.isdir(os.path.join(p, "evaluate_modules"))])
        for name in [m for m in sys.modules if m.split(".")[0] == "evaluate_modules"]:
            mp.delitem(sys.modules, name)
        mp.chdir(workdir)
        yield home
        for name in [m for m in sys.modules if m.split(".")[0] == "evaluate_modules"]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def metric(hf_home):
    return load_metric(keep_in_memory=True)


def test_loads_offline_from_the_package_path_into_the_temporary_cache(metric, hf_home):
    assert os.path.isabs(METRIC_PATH) and os.path.isfile(os.path.join(METRIC_PATH, "state_tracking.py"))
    assert metric.name == "state_tracking"
    module_file = sys.modules[type(metric).__module__].__file__
    assert module_file.startswith(str(hf_home / "modules")), module_file
    assert not os.listdir(os.getcwd())  # nothing written to the working directory


def test_module_doctests(hf_home):
    from hf_statetrack.metrics.state_tracking import state_tracking

    result = doctest.testmod(state_tracking)
    assert result.attempted > 5 and result.failed == 0


def test_metric_card_and_package_doctests(hf_home):
    import hf_statetrack.metrics

    card = doctest.testfile(os.path.join(METRIC_PATH, "README.md"), module_relative=False)
    assert card.attempted > 5 and card.failed == 0
    package = doctest.testmod(hf_statetrack.metrics)
    assert package.attempted > 0 and package.failed == 0


def test_metric_card_front_matter():
    text = open(os.path.join(METRIC_PATH, "README.md"), encoding="utf-8").read()
    front, body = text.split("---\n")[1:3]
    assert "title: State Tracking" in front and "- metric" in front and "description:" in front
    for section in ["## Metric Description", "## How to Use", "### Inputs", "### Output Values", "### Examples",
                    "## Limitations and Bias", "## Citation"]:
        assert section in body


def _random_rows(seed, num_rows=200):
    rng = np.random.default_rng(seed)
    preds, refs = [], []
    for n in rng.integers(1, 15, num_rows):
        r = rng.integers(0, 60, n)
        r[rng.random(n) < 0.2] = IGNORE
        r[-1] = rng.integers(0, 60)  # every row scored
        preds.append(np.where(rng.random(n) < 0.9, r, rng.integers(0, 60, n)).tolist())
        refs.append(r.tolist())
    return preds, refs, rng.integers(1, 8, num_rows).tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_same_numbers_as_scoring(metric, seed):
    preds, refs, lengths = _random_rows(seed)
    assert metric.compute(predictions=preds, references=refs) == compute_metrics(preds, refs)
    expected = compute_metrics(preds, refs, lengths=lengths, threshold=0.5)
    assert metric.compute(predictions=preds, references=refs, lengths=lengths, threshold=0.5) == expected
    for start in range(0, len(preds), 64):  # the add_batch path
        metric.add_batch(predictions=preds[start:start + 64], references=refs[start:start + 64])
    assert metric.compute(lengths=lengths, threshold=0.5) == expected


def test_misaligned_rows_are_one_clear_error(metric):
    with pytest.raises(StateTrackError, match="predictions row 1 has 2 positions but references row 1 has 3"):
        metric.compute(predictions=[[1], [1, 2]], references=[[1], [1, 2, 3]])
    with pytest.raises(StateTrackError, match="no position is scored"):
        metric.compute(predictions=[[1, 2]], references=[[IGNORE, IGNORE]])


def test_inputs_of_the_wrong_form_are_rejected_by_evaluate(metric):
    with pytest.raises(ValueError, match="Mismatch in the number of predictions \\(2\\) and references \\(1\\)"):
        metric.compute(predictions=[[1], [2]], references=[[1]])
    with pytest.raises(ValueError, match="Predictions and/or references don't match the expected format"):
        metric.compute(predictions=[1, 2], references=[1, 2])


def test_floats_are_refused_before_evaluates_int32_cast(metric):
    """evaluate would cast 1.7 to 1 and report accuracy 1.0; every entry point refuses non-integers."""
    with pytest.raises(StateTrackError, match="predictions must be integer label ids per position, got 1.7"):
        metric.compute(predictions=[[1.7, 2.2]], references=[[1, 2]])
    with pytest.raises(StateTrackError, match="references must be integer label ids"):
        metric.add_batch(predictions=[[1, 2]], references=[[1, 2.5]])
    with pytest.raises(StateTrackError, match="predictions must be integer label ids"):
        metric.add(prediction=[1.5], reference=[1])

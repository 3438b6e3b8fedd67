"""benchmarks/claims.py: the Measured block round-trips, numbers come from summaries, check fails off-range.
No training: the runs are summary dicts written by hand."""

import importlib.util
from pathlib import Path

import pytest

from hf_statetrack.core.yaml_loader import parse_yaml
from hf_statetrack.experiments.config import from_dict

PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "claims.py"
spec = importlib.util.spec_from_file_location("claims", PATH)
claims = importlib.util.module_from_spec(spec)
spec.loader.exec_module(claims)

CONFIG = """# A header the block must not disturb.
#   statetrack sweep eval_configs/x.yaml
output_dir: outputs/x
task: {name: S3, train_length: [1, 4], num_train: 100, num_test: 10}
model: {preset: lstm, num_layers: 1, hidden_size: 8}
"""


def summary(token, longest, runtime=10.0):
    split = {"token_accuracy": token, "sequence_accuracy": token / 2, "final_state_accuracy": None,
             "max_length_at_threshold": longest, "binned_max_length_at_threshold": None, "by_length": {}}
    return {"S3-lstm-L1-H8": {"splits": {"test": split}, "train": {"runtime_s": runtime}}}


def test_measured_block_round_trips_and_leaves_the_config_valid():
    measured = claims.collect([summary(0.995, 16), summary(0.9, 12, runtime=20.4)], seeds=[0, 1])
    assert measured["S3-lstm-L1-H8"] == {"test.token_accuracy": [99.5, 90.0], "test.sequence_accuracy": [49.75, 45.0],
                                         "test.max_length_at_threshold": [16, 12], "train.runtime_s": [10, 20]}
    text = claims.replace_block(CONFIG, claims.format_block(measured, "note"))
    assert claims.parse_block(text) == measured
    assert text.startswith("# A header") and "#     test.token_accuracy: [99.5, 90]   # mean 94.75" in text
    from_dict(parse_yaml(text))  # still a valid experiment: the block is only comments
    again = claims.replace_block(text, claims.format_block({**measured, "seeds": [0, 1]}, "other"))
    assert again.count(claims.MARKER) == 1 and claims.parse_block(again) == measured


def test_parse_block_rejects_a_value_count_that_differs_from_the_seeds():
    with pytest.raises(ValueError, match="one value per seed"):
        claims.parse_block("# Measured: x\n#   seeds: [0, 1, 2]\n#   r:\n#     test.token_accuracy: [1.0, 2.0]\n")
    assert claims.parse_block(CONFIG) is None


def test_compare_passes_inside_the_range_and_fails_outside_it_but_never_on_runtime():
    stated = claims.collect([summary(0.99, 16), summary(0.95, 12)], seeds=[0, 1])
    inside = claims.collect([summary(0.97, 14, runtime=999), summary(0.96, 13, runtime=999)], seeds=[0, 1])
    assert claims.compare(stated, inside) == []
    below = claims.collect([summary(0.90, 12), summary(0.92, 8)], seeds=[0, 1])  # lengths: mean 10 < 12 - 1
    failures = claims.compare(stated, below)
    assert len(failures) == 3 and all("outside the stated range" in f for f in failures)
    assert "test.token_accuracy: re-run mean 91 outside the stated range 95..99 (tolerance 1)" in failures[0]
    assert claims.compare(stated, below, tolerance=5, length_tolerance=2) == []
    assert claims.compare(stated, {"seeds": [0, 1]}) == [f"S3-lstm-L1-H8 {m}: not in the re-run" for m in
                                                          ("test.token_accuracy", "test.sequence_accuracy",
                                                           "test.max_length_at_threshold")]


def test_every_eval_config_block_parses():
    for config in sorted((PATH.parent.parent / "eval_configs").glob("*.yaml")):
        claims.parse_block(config.read_text())  # raises on a malformed block


def test_docs_region_is_regenerated_from_the_block_and_nothing_else_moves():
    measured = claims.collect([summary(0.995, 16), summary(0.9, 12)], seeds=[0, 1])
    page = ("# Title\n<!-- measured: eval_configs/x.yaml -->\nold typed table\n<!-- /measured -->\ntail\n"
              "<!-- measured: eval_configs/y.yaml -->\nkeep\n<!-- /measured -->\n")
    new = claims.replace_region(page, "eval_configs/x.yaml", claims.markdown_table(measured))
    assert "old typed table" not in new and "keep" in new and new.endswith("tail\n" + page.split("tail\n")[1])
    assert "| seeds 0 1: mean ± std (min..max) | S3-lstm-L1-H8 |" in new
    assert "| test token accuracy % | 94.8 ± 6.7 (90..99.5) |" in new
    assert "| test longest length at threshold | 14.0 ± 2.8 (12..16) |" in new


def test_module_doctests():
    import doctest

    result = doctest.testmod(claims)
    assert result.attempted > 0 and result.failed == 0


def test_tables_rewrite_docs_regions_from_the_blocks_without_runs(tmp_path, monkeypatch):
    config = tmp_path / "x.yaml"
    measured = claims.collect([summary(0.995, 16), summary(0.9, 12)], seeds=[0, 1])
    config.write_text(claims.replace_block(CONFIG, claims.format_block(measured, "note")))
    page = tmp_path / "docs" / "architectures.md"
    page.parent.mkdir()
    page.write_text("<!-- measured: eval_configs/x.yaml -->\nold\n<!-- /measured -->\n")
    monkeypatch.setattr(claims, "ROOT", tmp_path)
    claims.tables([config])
    assert "| test sequence accuracy % | 47.4 ± 3.4 (45..49.8) |" in page.read_text()


def test_docs_tables_match_the_configs_blocks():
    """The measured tables in docs/ are what `claims.py tables` would write from the configs' blocks today."""
    root = PATH.parent.parent
    pages = {page: page.read_text() for page in sorted((root / "docs").glob("*.md"))}
    found = 0
    for config in sorted((root / "eval_configs").glob("*.yaml")):
        measured, name = claims.parse_block(config.read_text()), f"eval_configs/{config.name}"
        for text in pages.values():
            if f"measured: {name} " in text:
                found += 1
                assert claims.replace_region(text, name, claims.markdown_table(measured)) == text, name
    assert found >= 4

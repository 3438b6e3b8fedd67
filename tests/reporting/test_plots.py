"""Accuracy-by-length plots: produced for one run, for several seeds, for older results; sane sizes, no pixel
comparison; bins shared by the seeds hold min_rows rows in every seed."""

import matplotlib.image
import numpy as np
import pytest

from hf_statetrack.reporting.plots import palette, plot_by_length, shared_bins
from hf_statetrack.stats.scoring import completed, compute_metrics


def split_metrics(seed: int, lengths=range(41, 257), per_length=2, **kwargs) -> dict:
    """Running-parity-like results: accuracy falls with length, noisily."""
    rng = np.random.default_rng(seed)
    refs, preds, row_lengths = [], [], []
    for length in lengths:
        for _ in range(per_length):
            ref = rng.integers(0, 2, 8)
            wrong = rng.random(8) < (length - 40) / 2000
            refs.append(ref.tolist())
            preds.append(np.where(wrong, 1 - ref, ref).tolist())
            row_lengths.append(length)
    return compute_metrics(preds, refs, np.array(row_lengths), **kwargs)


def check_png(path, min_bytes=20_000):
    assert path.is_file() and min_bytes < path.stat().st_size < 2_000_000
    height, width, _ = matplotlib.image.imread(path).shape
    assert 500 < width < 2500 and 400 < height < 1500


def test_one_run_and_several_seeds(tmp_path):
    one = tmp_path / "one.png"
    plot_by_length({"test": [split_metrics(0)]}, 0.9, one, "one run")
    check_png(one)
    seeds = tmp_path / "seeds.png"
    plot_by_length({"deltanet": [split_metrics(s) for s in range(3)], "lstm": [split_metrics(s + 9) for s in range(3)]},
                   0.9, seeds, "three seeds each", colors={"lstm": "black"})
    check_png(seeds)


def test_older_results_without_positions_still_plot(tmp_path):
    new = split_metrics(1)
    old = {k: v for k, v in new.items() if k not in ("by_bin", "binning")}
    old["by_length"] = {str(k): {key: v[key] for key in ("token_accuracy", "sequence_accuracy",
                                                         "final_state_accuracy", "count")}
                        for k, v in new["by_length"].items()}
    path = tmp_path / "old.png"
    plot_by_length({"test": [completed(old, 0.9)], "empty": [{"by_length": {}}]}, 0.9, path, "older results")
    check_png(path)


def test_shared_bins_hold_min_rows_in_every_seed_and_honour_fixed_edges():
    runs = [split_metrics(0, per_length=1), split_metrics(1, per_length=3)]
    bounds, per_run = shared_bins(runs)
    assert bounds[0][0] == 41 and bounds[-1][1] == 256
    assert all(entry["count"] >= 20 for bins in per_run for entry in bins)
    assert [len(bins) for bins in per_run] == [len(bounds)] * 2
    fixed = [split_metrics(s, **{"binning": __import__("hf_statetrack.stats.length_bins").stats.length_bins.Binning(
        bin_edges=(65, 129))}) for s in (0, 1)]
    assert shared_bins(fixed)[0] == [(41, 64), (65, 128), (129, 256)]


def test_palette_gives_one_colour_per_label():
    colors = palette(["a", "b", "a", "c"])
    assert list(colors) == ["a", "b", "c"] and len(set(colors.values())) == 3
    assert len(set(palette(map(str, range(15))).values())) == 15


@pytest.mark.parametrize("threshold", [0.5, 0.9])
def test_single_bin_split(tmp_path, threshold):
    path = tmp_path / "tiny.png"
    plot_by_length({"test": [split_metrics(0, lengths=range(1, 4))]}, threshold, path, "6 rows")
    check_png(path, min_bytes=10_000)

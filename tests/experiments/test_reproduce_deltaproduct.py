"""The DeltaProduct reproduction: its report on synthetic `Results` (accuracy by n_h, the smallest n_h reaching the
threshold, theory, paper, verdict, longest length), the group theory behind its theory column, its two sweep files
(dry runs, what they hold), and one tiny sweep that writes report.md from real runs."""

import itertools

import numpy as np
import pytest
import yaml

from hf_statetrack.cli import main
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.experiments import reproduce
from hf_statetrack.experiments.reproductions import deltaproduct as dp
from hf_statetrack.experiments.reproductions import lookup, names
from hf_statetrack.experiments.sweep import load_sweep, run_sweep
from hf_statetrack.reporting.results import Results


def split(accuracy: float, lengths: tuple[int, int], longest: int | None) -> dict:
    return {"sequence_accuracy": accuracy, "binned_max_length_at_threshold": longest,
            "by_length": {str(n): {"count": 10} for n in range(lengths[0], lengths[1] + 1)}}


def fake(group: str, nh: int, negative: bool, seed: int, short: float, long: float = 0.0,
         longest: tuple = (16, 0)) -> Results:
    """A finished run tested on 2-16 (`short`) and 17-64 (`long`); `longest`: each split's binned longest length."""
    model = {"preset": "deltaproduct", "architecture": None, "pretrained": None, "num_layers": 1,
             "num_householder": nh, "allow_negative_eigenvalues": negative}
    return Results(kind="train", title="t", description="d", task={"name": group}, model="m", seed=seed,
                   threshold=0.9, settings={"experiment": {"model": model}},
                   splits={"validation": split(1.0, (2, 16), 16), "test": split(short, (2, 16), longest[0]),
                           "test@17-64": split(long, (17, 64), longest[1])})


def summary_of(curve: dict) -> dict:
    """(group, negative, n_h) -> per-seed test accuracies on 2-16 -> the sweep's summary (17-64: half of it)."""
    return {f"{g}-{neg}-{nh}": [fake(g, nh, neg, s, acc, acc / 2) for s, acc in enumerate(accs)]
            for (g, neg, nh), accs in curve.items()}


def rows(text: str) -> list[list[str]]:
    """The cells of the report's first table (accuracy by n_h), without its header."""
    first = text.split("## Accuracy by n_h")[1].split("## ")[0]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in first.splitlines()
            if line.startswith("| ") and not line.startswith("| group")]


def test_the_report_gives_accuracy_by_nh_the_smallest_passing_nh_theory_paper_and_verdict():
    curve = {("S3", True, 1): [0.1, 0.2, 0.15], ("S3", True, 2): [1.0, 1.0, 0.8], ("S3", True, 3): [1.0, 1.0, 1.0],
             ("S3", False, 1): [0.1, 0.1, 0.1], ("S3", False, 2): [0.3, 0.2, 0.1], ("S3", False, 3): [0.5, 0.5, 0.5],
             ("S4", True, 1): [0.0, 0.0, 0.0], ("S4", True, 2): [0.5, 0.6, 0.7], ("S4", True, 3): [0.95, 0.9, 1.0]}
    table = rows(dp.deltaproduct(None, summary_of(curve), None))
    header = "| group | eigenvalues | test lengths | n_h = 1 | n_h = 2 | n_h = 3 | smallest n_h ≥ 90 % | theory |"
    assert header in dp.deltaproduct(None, summary_of(curve), None)
    assert table[:2] == [
        ["S3", "[-1, 1]", "2-16", "15.0 ± 5.0 (0/3)", "93.3 ± 11.5 (2/3)", "100.0 ± 0.0 (3/3)", "2", "2",
         "2 (1 fails; code README)", "agrees"],
        ["S3", "[-1, 1]", "17-64", "7.5 ± 2.5 (0/3)", "46.7 ± 5.8 (0/3)", "50.0 ± 0.0 (0/3)", "> 3", "2",
         "2 (1 fails; code README)", "not reached at this budget (n_h up to 3; the theory's 2 suffices)"]]
    assert table[2][:3] == ["S3", "[0, 1]", "2-16"] and table[2][6:] == [
        "> 3", "none", "none of 1, 2 (code README)", "agrees (no n_h reaches it)"]
    # S4: the paper is silent ("-"); 3 passing where 2 suffices in theory reads as "more"
    assert table[4][6:] == ["3", "2", "-", "differs: n_h = 3, more than the theory's 2"]


def test_one_seed_shows_its_value_and_a_range_not_in_the_theory_gets_no_verdict():
    summary = {"a": [fake("S5", 4, True, 0, 0.97)], "b": [fake("A5", 2, True, 0, 0.97)]}
    table = rows(dp.deltaproduct(None, summary, None))
    assert table[0] == ["A5", "[-1, 1]", "2-16", "97.0 (1/1)", "", "2", "-", "-", ""]
    assert table[2] == ["S5", "[-1, 1]", "2-16", "", "97.0 (1/1)", "4", "4", "4 (1, 2 fail)", "agrees"]


@pytest.mark.parametrize("expected, smallest, tried, text", [
    (2, 2, [1, 2, 3], "agrees"),
    (2, 1, [1, 2, 3], "differs: n_h = 1, fewer than the theory's 2"),
    (4, None, [1, 2, 3, 4], "not reached at this budget (n_h up to 4; the theory's 4 suffices)"),
    (4, None, [1, 2, 3], "cannot be read: n_h up to 3 tried, the theory needs 4"),
    (0, None, [1, 2, 3], "agrees (no n_h reaches it)"),
    (0, 3, [1, 2, 3], "differs: n_h = 3 reaches it here"),
    (None, 2, [1, 2], ""),
])
def test_verdicts(expected, smallest, tried, text):
    assert dp.verdict(expected, smallest, tried) == text


def test_theory_by_group_and_range():
    assert [dp.theory_nh(g, "[-1, 1]") for g in ("S3", "S4", "S5", "A5")] == [2, 2, 4, None]
    assert dp.theory_nh("S5", "[0, 1]") == 0 and dp.theory_nh("S5", "-") is None


def test_the_smallest_nh_is_the_first_whose_mean_passes_even_if_a_larger_one_dips():
    assert dp.smallest_passing({1: [0.1], 2: [0.95, 0.9], 3: [0.5]}, 0.9) == 2
    assert dp.smallest_passing({1: [0.1], 2: [0.9, 0.8]}, 0.9) is None


@pytest.mark.parametrize("longest, expected", [
    ((16, 40), 40),  # 2-16 whole, 17-64 up to 40
    ((16, 64), 64),
    ((8, 64), 8),  # stops in the first split, whatever the second says
    ((16, 0), 16),  # the second split's first bin fails
    ((0, 0), 0),
    ((None, 64), None),  # too few strings to say
    ((16, None), 16),
])
def test_longest_length_reads_on_across_splits_only_while_each_passes_whole(longest, expected):
    assert dp.longest_length(fake("S3", 2, True, 0, 1.0, longest=longest)) == expected


def test_longest_length_table_shows_the_spread_over_seeds_and_the_papers_s5_figure():
    summary = {"a": [fake("S5", 4, True, s, 1.0, 0.5, longest=(16, n)) for s, n in enumerate((30, 40, 50))]}
    text = dp.deltaproduct(None, summary, None)
    assert "| S5 | [-1, 1] | 40.0 ± 10.0 (30..50) | n_h = 4: near 100 % up to ~200, ~50 % near 330 |" in text


def test_a_point_repeating_group_range_and_nh_is_refused_in_one_line():
    summary = {"a": [fake("S3", 2, True, 0, 1.0)], "b": [fake("S3", 2, True, 0, 0.5)]}
    with pytest.raises(StateTrackError, match="point b repeats S3 \\[-1, 1\\] with n_h = 2"):
        dp.deltaproduct(None, summary, None)


def test_the_nh_default_is_the_presets():
    run = fake("S3", 2, True, 0, 1.0)
    del run.settings["experiment"]["model"]["num_householder"]
    assert dp.householder_steps(run) == 2


# ----------------------------------------------------------------------------- the theory column, checked


def reflections_needed(matrix: np.ndarray) -> int:
    """The fewest reflections whose product is the orthogonal `matrix`: the codimension of its fixed space."""
    return int(np.linalg.matrix_rank(matrix - np.eye(len(matrix)), tol=1e-9))


def permutation_matrix(perm) -> np.ndarray:
    return np.eye(len(perm))[list(perm)]


@pytest.mark.parametrize("n", [3, 4, 5])
def test_permutation_matrices_of_sn_need_n_minus_1_reflections(n):
    needed = [reflections_needed(permutation_matrix(p)) for p in itertools.permutations(range(n))]
    assert max(needed) == n - 1


def cube_rotations() -> list[np.ndarray]:
    """The group generated by quarter turns about the x and y axes."""
    turn_x = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]])
    turn_y = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]])
    found = {np.eye(3, dtype=int).tobytes(): np.eye(3, dtype=int)}
    frontier = list(found.values())
    while frontier:
        new = [g @ t for g in frontier for t in (turn_x, turn_y) if (g @ t).tobytes() not in found]
        for g in new:
            found.setdefault(g.tobytes(), g)
        frontier = [g for g in new if found[g.tobytes()] is g]
    return list(found.values())


def test_s4_is_the_rotation_group_of_a_cube_and_each_rotation_is_two_reflections():
    rotations = cube_rotations()
    diagonals = [np.array(d) for d in ((1, 1, 1), (1, 1, -1), (1, -1, 1), (-1, 1, 1))]

    def on_diagonals(r):  # where r sends each body diagonal (a line: d and -d are one)
        return tuple(next(j for j, e in enumerate(diagonals) if abs(int((r @ d) @ e)) == 3) for d in diagonals)

    assert len(rotations) == 24 and all(round(np.linalg.det(r)) == 1 for r in rotations)
    assert len({on_diagonals(r) for r in rotations}) == 24  # faithful: all 24 permutations of 4 diagonals
    assert max(reflections_needed(r.astype(float)) for r in rotations) == dp.THEORY_NH["S4"] == 2


# ----------------------------------------------------------------------------- the sweep files


@pytest.mark.parametrize("scale", reproduce.SCALES)
def test_both_sweep_files_pass_the_dry_run(scale, capsys):
    assert main(["reproduce", "deltaproduct", "--scale", scale, "--dry-run"]) == 0
    summary = capsys.readouterr().out.splitlines()[-2]
    assert summary.startswith("deltaproduct (") and ("36 runs" if scale == "cpu" else "12 runs") in summary
    if scale == "cpu":
        assert "measured about 19 s per run" in summary and "11 min" in summary  # 36 runs, 11 min 17 s measured


def test_the_cpu_file_sweeps_s3_and_s4_nh_1_to_3_and_both_ranges_with_one_layer():
    cfg = load_sweep(str(reproduce.config_path("deltaproduct", "cpu")))
    points = [p.raw for p in cfg.points()]
    assert {(p["task"]["name"], p["model"]["num_householder"], p["model"]["allow_negative_eigenvalues"])
            for p in points} == set(itertools.product(("S3", "S4"), (1, 2, 3), (True, False)))
    assert all(p["model"]["num_layers"] == 1 and p["model"]["use_short_conv"] is False for p in points)
    assert all(p["task"]["train_length"] == [2, 16] and p["evaluation"]["test_lengths"] == [[17, 64]] for p in points)
    assert cfg.seeds == 3 and cfg.report == "deltaproduct"
    assert "measured 2026-" in reproduce.config_path("deltaproduct", "cpu").read_text()


def test_the_paper_file_holds_the_papers_protocol():
    cfg = load_sweep(str(reproduce.config_path("deltaproduct", "paper")))
    points = [p.raw for p in cfg.points()]
    assert [p["model"]["num_householder"] for p in points] == [1, 2, 3, 4]
    for p in points:
        assert p["task"]["name"] == "S5" and p["task"]["train_length"] == 128 and p["task"]["num_train"] == 99000
        assert (p["model"]["num_layers"], p["model"]["hidden_size"], p["model"]["num_heads"]) == (1, 128, 8)
        assert p["model"].get("allow_negative_eigenvalues", True) is True
        training = p["training"]
        assert (training["per_device_train_batch_size"], training["learning_rate"], training["num_train_epochs"]) == (
            2048, 1e-3, 100)
        assert p["evaluation"]["test_lengths"] == [[129, 512]]


def test_it_is_registered_fourth():
    assert lookup("deltaproduct").order == 4 and names().index("deltaproduct") == 3


@pytest.mark.usefixtures("one_thread")
def test_a_tiny_sweep_writes_the_report_from_real_runs(tmp_path):
    raw = {"output_dir": str(tmp_path / "out"),
           "task": {"name": "S3", "train_length": [2, 6], "test_length": [2, 6], "num_train": 64, "num_validation": 8,
                    "num_test": 40},
           "model": {"preset": "deltaproduct", "num_layers": 1, "hidden_size": 16, "use_short_conv": False},
           "training": {"max_steps": 2, "per_device_train_batch_size": 16, "eval_strategy": "no",
                        "disable_tqdm": True, "logging_strategy": "no"},
           "evaluation": {"test_lengths": [[7, 10]]},
           "sweep": {"model.allow_negative_eigenvalues": [True, False], "model.num_householder": [1, 2]},
           "report": "deltaproduct"}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(raw))
    run_sweep(str(path))
    table = rows((tmp_path / "out" / "report.md").read_text())
    assert [row[:3] for row in table] == [["S3", "[-1, 1]", "2-6"], ["S3", "[-1, 1]", "7-10"],
                                          ["S3", "[0, 1]", "2-6"], ["S3", "[0, 1]", "7-10"]]
    assert [row[6] for row in table] == ["2", "2", "none", "none"]

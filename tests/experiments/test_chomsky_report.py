"""The Delétang et al. report puts our scores in the paper's Table 2 layout (synthetic `Results`, nothing trains), and
both sweep files hold the protocol they claim."""

import pytest

from hf_statetrack.data.params import GenerationParams
from hf_statetrack.experiments import reproduce
from hf_statetrack.experiments.reproductions import chomsky_hierarchy as chomsky
from hf_statetrack.experiments.sweep import load_sweep
from hf_statetrack.reporting.results import Results
from hf_statetrack.tasks import get_task, list_tasks


def run(task: str, preset: str, test: float, validation: float = 1.0, seed: int = 0, lr: float = 1e-3,
        **task_params) -> Results:
    """A finished run of `preset` on `task` with this test and validation score."""
    params = GenerationParams.resolve(task, test_length=[41, 100], num_train=32, num_test=8, **task_params)
    return Results(kind="train", title="t", description="d", task=params.as_dict(), model="m", seed=seed,
                   splits={"test": {"length_mean_token_accuracy": test},
                           "validation": {"length_mean_token_accuracy": validation}},
                   settings={"experiment": {"model": {"preset": preset, "hidden_size": 64},
                                            "training": {"learning_rate": lr, "per_device_train_batch_size": 32}}},
                   train={"steps": 100})


def row(text: str, task: str) -> list[str]:
    """The cells of the score table's row for `task` (the first table: the fit table repeats the labels)."""
    line = next(line for line in text.splitlines() if f"| {task} |" in line)
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_the_papers_numbers_are_looked_up_by_task_and_architecture():
    assert chomsky.paper_score("reverse_string", "stack_rnn") == 100.0
    assert chomsky.paper_score("modular_arithmetic", "transformer") == 24.2
    assert chomsky.paper_score("cycle_navigation", "transformer") == 61.9
    assert chomsky.paper_score("cycle_navigation", "rnn") is None  # not read: "-", never a guess
    assert chomsky.paper_score("bucket_sort", "lstm") is None and chomsky.paper_score("parity_check", "gru") is None
    for task, scores in chomsky.DELETANG_TABLE2.items():
        assert task in chomsky.TASK_ORDER and set(scores) <= set(chomsky.MODEL_NAMES)
        assert all(0 <= value <= 100 for value in scores.values())


def test_the_papers_task_order_covers_every_chomsky_task_level_by_level():
    assert sorted(chomsky.TASK_ORDER) == sorted(list_tasks(family="chomsky_hierarchy"))
    levels = [get_task(name).level for name in chomsky.TASK_ORDER]
    assert levels == sorted(levels, key=["regular", "dcf", "cs"].index)
    assert levels.count("regular") == 4 and levels.count("dcf") == 4 and levels.count("cs") == 7


def test_rows_follow_the_papers_order_and_columns_its_architectures():
    summary = {f"{task}-{preset}": [run(task, preset, 0.5)]
               for task in ("bucket_sort", "reverse_string", "even_pairs") for preset in ("lstm", "gru", "rnn")}
    rows, models = chomsky.ordered(chomsky.best_points(summary))
    assert rows == ["even_pairs", "reverse_string", "bucket_sort"]
    assert models == ["rnn", "stack_rnn", "tape_rnn", "transformer", "lstm", "gru"]  # the paper's five, then ours
    text = chomsky.chomsky_hierarchy(None, summary, {})
    assert "| level | task | RNN | Stack-RNN | Tape-RNN | Transformer | LSTM | gru |" in text
    starts = [text.index(f"| {lvl} | {task} |") for lvl, task in (("R", "even_pairs"), ("DCF", "reverse_string"),
                                                                   ("CS", "bucket_sort"))]
    assert starts == sorted(starts)
    assert row(text, "reverse_string") == ["DCF", "reverse_string", "50.0 / 62.0", "- / 100.0", "- / 100.0",
                                           "- / 62.3", "50.0 / 60.9", "50.0 / -"]


def test_a_cell_is_mean_and_best_over_seeds_beside_the_papers_bold_where_solved():
    assert chomsky.ours([0.5]) == "50.0" and chomsky.ours([0.975]) == "**97.5**"
    assert chomsky.ours([0.5, 0.95]) == "**72.5 (95.0)**" and chomsky.ours([0.5, 0.7]) == "60.0 (70.0)"
    assert chomsky.cell(None, 62.0) == "- / 62.0"
    assert chomsky.cell([run("even_pairs", "rnn", 0.512)], None) == "51.2 / -"
    seeds = [run("duplicate_string", "tape_rnn", value, seed=seed) for seed, value in enumerate((1.0, 0.6, 0.8))]
    text = chomsky.chomsky_hierarchy(None, {"p": seeds}, {})
    assert row(text, "duplicate_string")[4] == "**80.0 (100.0)** / 100.0"


def test_the_point_with_the_best_seed_is_shown_as_the_paper_picks_its_settings():
    low = [run("parity_check", "rnn", v, seed=s, lr=1e-4) for s, v in enumerate((0.6, 0.7))]  # mean 0.65, best 0.7
    high = [run("parity_check", "rnn", v, seed=s, lr=5e-4) for s, v in enumerate((0.9, 0.5))]  # mean 0.70, best 0.9
    assert chomsky.best_points({"lr4": low, "lr5": high}) == {("parity_check", "rnn"): high}
    text = chomsky.chomsky_hierarchy(None, {"lr4": low, "lr5": high}, {})
    assert row(text, "parity_check")[2] == "**70.0 (90.0)** / 100.0"
    budget = next(line for line in text.splitlines() if line.startswith("| RNN | 100 x 32 |"))
    assert "0.0001, 0.0005" in budget and "| 2 | 41..100 |" in budget


def test_each_level_counts_the_tasks_solved_ours_and_the_papers():
    summary = {"a": [run("parity_check", "rnn", 0.95)], "b": [run("even_pairs", "rnn", 0.6)],
               "c": [run("parity_check", "transformer", 0.99)]}
    solved = row(chomsky.chomsky_hierarchy(None, summary, {}), "*solved (>= 90%)*")
    assert solved[:3] == ["R", "*solved (>= 90%)*", "1/2 / 1/1"]  # ours: 1 of 2 run; paper: parity_check's 100
    assert solved[5] == "1/1 / 0/1"  # the transformer: parity_check solved here, the paper's 52.0 not


def test_a_variant_task_is_labelled_and_still_finds_the_papers_row():
    text = chomsky.chomsky_hierarchy(None, {"p": [run("odds_first", "rnn", 0.5, order="deepmind_code")]}, {})
    assert row(text, "odds_first (order deepmind_code)")[2] == "50.0 / 51.0"


def test_the_score_of_an_older_results_file_comes_from_by_length():
    old = run("even_pairs", "rnn", 0.0)
    old.splits["test"] = {"by_length": {"41": {"token_accuracy": 1.0}, "42": {"token_accuracy": 0.5}}}
    assert chomsky.score(old, "test") == 0.75 and chomsky.score(old, "missing") is None


def test_the_fit_table_shows_the_validation_score_of_the_cell_above():
    text = chomsky.chomsky_hierarchy(None, {"p": [run("reverse_string", "stack_rnn", 0.5, validation=0.42)]}, {})
    fit = text.split("## Fit on the training lengths")[1]
    assert "| DCF | reverse_string | - | 42.0 | - | - | - |" in fit


@pytest.mark.parametrize("scale, tasks, models, test, lrs, seeds", [
    ("cpu", 15, 5, [41, 100], {1e-3, 3e-3}, 1),
    ("paper", 15, 6, [41, 500], {1e-4, 3e-4, 5e-4}, 10),
])
def test_the_sweep_files_hold_every_task_and_memories_that_reach_the_test_lengths(scale, tasks, models, test, lrs,
                                                                                 seeds):
    cfg = load_sweep(str(reproduce.config_path("chomsky_hierarchy", scale)))
    points = cfg.points()
    assert len(points) == tasks * models * (3 if scale == "paper" else 1) and cfg.seed_values() == list(range(seeds))
    assert sorted({p.raw["task"]["name"] for p in points}) == sorted(chomsky.TASK_ORDER)
    assert {p.raw["model"]["preset"] for p in points} == set(chomsky.MODEL_NAMES)
    assert all(p.raw["task"]["test_length"] == test and "train_length" not in p.raw["task"] for p in points)
    assert {p.raw["training"]["learning_rate"] for p in points} == lrs
    assert all(p.raw["task"]["order"] == "deepmind_code" for p in points if p.raw["task"]["name"] == "odds_first")
    for p in points:  # a memory RNN carries only what its memory holds, and keeps one size for training and test
        memory = {"stack_rnn": "stack_size", "tape_rnn": "memory_size"}.get(p.raw["model"]["preset"])
        assert memory is None or p.raw["model"][memory] >= test[1]
    if scale == "cpu":  # every training string seen once, as with the paper's fresh strings
        assert all(p.raw["task"]["num_train"] == 32 * p.raw["training"]["max_steps"] for p in points)

"""`statetrack benchmark`: chance levels of real tasks, the scorecard on synthetic results, widths matched to a
parameter budget, the dry run, a tiny benchmark end to end with resume, and bad input refused before any work."""

import itertools
import json

import numpy as np
import pytest
import yaml

from hf_statetrack.cli import main
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.experiments import grid
from hf_statetrack.experiments.benchmark import make_plan
from hf_statetrack.experiments.benchmark.models import (
    match_width,
    match_width_ref,
    parameter_count,
    parse_models,
)
from hf_statetrack.experiments.benchmark.suite import load_suite
from hf_statetrack.reporting.results import Results
from hf_statetrack.reporting.scorecard import scorecard, scorecard_markdown, split_score, write_scorecard
from hf_statetrack.stats.scoring import chance_levels, compute_metrics
from hf_statetrack.tasks import IGNORE, get_task
from hf_statetrack.tasks.word_problem import running_products_reference

pytestmark = pytest.mark.usefixtures("one_thread")


# ----------------------------------------------------------------------------- chance


def test_parity_chance_is_one_half():
    """Every Z2 word of length 8: at each position half of them carry each label; two words keep one label."""
    group = get_task("Z2").group
    refs = [running_products_reference(group, list(word)) for word in itertools.product([0, 1], repeat=8)]
    assert chance_levels(refs) == {"token_accuracy": 0.5, "sequence_accuracy": 2 / 256 / 2,
                                   "final_state_accuracy": 0.5}


def test_skewed_labels_of_a_formal_language():
    """Tomita 5's continuation labels are "01" except where the prefix is in the language (even 0s and 1s)."""
    refs = [[0, 0, 0, 1], [0, 1, 0, 1], [0, 0, 0, 0]]  # 9 of 12 positions "01": chance 0.75
    m = compute_metrics([[0] * 4] * 3, refs)
    assert m["chance"]["token_accuracy"] == 0.75 and m["chance_corrected_accuracy"]["token_accuracy"] == 0.0
    assert split_score(m, "token_accuracy")["score"] == 0.0


# ----------------------------------------------------------------------------- the scorecard on synthetic results


def split(rows_right: int, lengths: tuple, rows: int = 40) -> dict:
    """Metrics of `rows` rows of labels 0 1 0 1 ... (chance 0.5), their lengths taking the (even) `lengths` in turn,
    the first `rows_right` rows (an even number) all right: token accuracy rows_right / rows."""
    lengths = [lengths[i % len(lengths)] for i in range(rows)]
    refs = [[i % 2 for i in range(n)] for n in lengths]
    preds = [r if i < rows_right else [1 - v for v in r] for i, r in enumerate(refs)]
    return compute_metrics(preds, refs, lengths=np.array(lengths))


def run(seed: int, right_in: int, right_out: int, state_size=None) -> Results:
    r = Results(kind="train", title="t", description="d", task={"name": "Z2"}, model="lstm", seed=seed,
                threshold=0.9, splits={"test": split(right_in, (2, 4)), "test@6-8": split(right_out, (6, 8))},
                train={"runtime_s": 1.0}, num_parameters=1234)
    if state_size is not None:
        r.state_size = state_size  # the field another release adds; the scorecard reads it with getattr
    return r


TASK = {"id": "Z2", "class": "parity", "task": "Z2", "train_length": [2, 4], "ood_length": [6, 8],
        "ood_split": "test@6-8"}
META = {"suite": "synthetic", "scale": None, "score": "token_accuracy", "threshold": 0.9, "seeds": [0, 1, 2],
        "budget": {"model": None, "parameters": 1000, "per_task": {"Z2": 1000}, "note": "Widths matched."}}


def synthetic_card():
    models = [{"id": "lstm", "spec": "lstm", "model": {"preset": "lstm"}},
              {"id": "transformer", "spec": "transformer", "model": {"preset": "transformer"}}]
    state = {"per_layer": [16], "total": 16, "grows_with_length": False, "how": "h and c of one LSTM layer"}
    cells = {("lstm", "Z2"): {"runs": [run(s, 40, right, state) for s, right in enumerate((40, 28, 20))],
                              "hidden_size": 8, "budget_parameters": 1000},
             ("transformer", "Z2"): {"runs": [], "failed": {"seed1": "RuntimeError: boom"}, "hidden_size": 4,
                                     "budget_parameters": 990}}
    return scorecard(META, [TASK], models, cells)


def test_scorecard_scores_intervals_and_longest_length():
    card = synthetic_card()
    lstm = card["cells"]["lstm"]["Z2"]
    assert lstm["in_distribution"]["per_seed"] == [1.0, 1.0, 1.0]  # chance 0.5 (labels 0 1 0 1), all right
    ood = [(r / 40 - 0.5) / 0.5 for r in (40, 28, 20)]  # token accuracy = rows right / rows: 1, 0.7, 0.5
    assert lstm["out_of_distribution"]["per_seed"] == pytest.approx(ood)
    mean, sd = np.mean(ood), np.std(ood, ddof=1)
    assert lstm["out_of_distribution"]["mean"] == pytest.approx(mean)
    assert lstm["out_of_distribution"]["interval"] == pytest.approx([mean - 4.3027 * sd / np.sqrt(3), 1.0])
    # bins of 20 rows, one per length: all in-distribution bins pass; out of distribution, only seed 0's
    assert lstm["longest_length"]["per_seed"][0] == 8 and lstm["longest_length"]["per_seed"][2] == 4
    assert lstm["state_size"]["total"] == 16 and card["cells"]["transformer"]["Z2"]["failed"]


def test_scorecard_markdown_layout():
    text = scorecard_markdown(synthetic_card())
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == ["## In distribution (the training lengths)",
                        "## Out of distribution (longer than training)", "## Robust longest length", "## Models",
                        "## Tasks"]
    assert "| model | Z2 | mean |" in text and "| lstm (H8) | 1.00 [1.00, 1.00] | 1.00 |" in text
    assert "| transformer (H4) | failed | n/a |" in text  # a failed cell, and no mean over tasks
    assert "| lstm | fixed | h and c of one LSTM layer | 1,234 | 1,000 | 16 |" in text
    assert "| transformer | unknown | unknown | n/a | 990 | unknown |" in text  # no state size recorded
    assert "| Z2 | parity | 2-4 | 6-8 | 0.50 | 0.50 |" in text
    assert "* Z2-transformer seed1: RuntimeError: boom" in text


def test_one_seed_shows_the_corrected_wilson_interval_and_files_are_written(tmp_path):
    card = scorecard({**META, "seeds": [0]}, [TASK], [{"id": "lstm", "spec": "lstm", "model": {}}],
                     {("lstm", "Z2"): {"runs": [run(0, 40, 30)], "hidden_size": 8}})
    ood = card["cells"]["lstm"]["Z2"]["out_of_distribution"]
    lo, hi = split(30, (6, 8))["token_accuracy_ci"]
    assert ood["interval"] == pytest.approx([(lo - 0.5) / 0.5, (hi - 0.5) / 0.5])
    write_scorecard(card, tmp_path)
    assert json.loads((tmp_path / "scorecard.json").read_text())["cells"]["lstm"]["Z2"]["hidden_size"] == 8
    for png in ("scorecard.png", "score_by_state_size.png"):
        assert 10_000 < (tmp_path / png).stat().st_size < 1_000_000


# ----------------------------------------------------------------------------- widths


@pytest.mark.parametrize("model", [{"preset": "lstm"}, {"preset": "transformer"}], ids=["lstm", "transformer"])
def test_width_matching_finds_the_closest_count(model):
    target = parameter_count({"preset": "transformer", "num_layers": 1, "hidden_size": 32}, 3, 2)
    width, count = match_width(model, target, 3, 2)
    assert (width, count) == match_width_ref(model, target, 3, 2, widths=range(1, 129))
    assert abs(count - target) / target < 0.06


def test_counts_leave_embedding_tables_out():
    """GPT-2's learned position table (n_positions x width) counts nowhere, nor does the vocabulary."""
    small = parameter_count({"architecture": "gpt2", "hidden_size": 16, "n_positions": 64}, 3, 2)
    assert small == parameter_count({"architecture": "gpt2", "hidden_size": 16, "n_positions": 1024}, 50, 2)
    assert parameter_count({"preset": "lstm", "hidden_size": 7, "num_heads": 3}, 3, 2) is None  # no such knob


def test_models_parse_presets_architectures_and_files(tmp_path):
    path = tmp_path / "wide.yaml"
    path.write_text(yaml.safe_dump({"name": "lstm2", "model": {"preset": "lstm", "num_layers": 2, "hidden_size": 32},
                                    "training": {"learning_rate": 0.01}}))
    bare = tmp_path / "bare.yaml"
    bare.write_text(yaml.safe_dump({"architecture": "rwkv", "num_layers": 2}))
    models = parse_models(f"lstm, arch:gpt2,{path},{bare}")
    assert [m.id for m in models] == ["lstm", "arch-gpt2", "lstm2", "bare"]
    assert [m.matched for m in models] == [True, True, False, True]  # lstm2 gives its width
    assert models[2].training == {"learning_rate": 0.01} and models[3].model == {"architecture": "rwkv",
                                                                                   "num_layers": 2}


# ----------------------------------------------------------------------------- the command


def test_dry_run_lists_every_run_and_the_estimate(capsys, tmp_path):
    assert main(["benchmark", "--dry-run", "--output-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.splitlines()
    suite = load_suite()
    runs = len(suite.tasks) * len(suite.models) * suite.seeds
    assert sum(" seed " in line for line in out) == runs == 144
    assert "reverse_string-arch-rwkv seed 2  (arch:rwkv H71, " in "\n".join(out)
    assert out[-2].startswith("benchmark default (cpu scale): 144 runs (8 tasks x 6 models x 3 seeds); measured about")
    assert out[-2].endswith(f"about {144 * suite.estimate_s_per_run / 60:.0f} min")
    assert not (tmp_path / "out").exists()


def test_the_default_suite_covers_the_classes_and_both_scales():
    cpu, paper = load_suite(), load_suite(scale="paper")
    names = {t.task["name"] for t in cpu.tasks}
    assert {"parity", "Z5", "A5", "tomita4", "tomita5", "dyck1", "flip_flop", "reverse_string"} <= names
    assert all(t.task["test_length"] == t.task["train_length"] for t in cpu.tasks)  # in distribution = training
    assert {t.id: t.ood for t in paper.tasks}["reverse_string"] == [41, 500]
    assert paper.run["training"]["max_steps"] > cpu.run["training"]["max_steps"]


TINY_SUITE = {
    "name": "tiny", "seeds": 1, "models": ["lstm", "transformer"],
    "budget": {"preset": "lstm", "num_layers": 1, "hidden_size": 8},
    "run": {"threads": 1, "task": {"num_train": 64, "num_validation": 0, "num_test": 80},
            "training": {"max_steps": 2, "per_device_train_batch_size": 16, "eval_strategy": "no",
                         "logging_strategy": "no", "disable_tqdm": True}},
    "tasks": [{"id": "Z2", "class": "parity", "task": {"name": "Z2", "train_length": [1, 6]}, "ood": [7, 10]},
              {"id": "tomita4", "class": "star-free", "task": {"name": "tomita4", "train_length": [1, 6]},
               "ood": [7, 10]}],
}


def write_suite(tmp_path, **changes) -> str:
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump({**TINY_SUITE, **changes}))
    return str(path)


def test_a_tiny_benchmark_end_to_end_and_resumed(tmp_path, capsys, monkeypatch):
    args = ["benchmark", "--suite", write_suite(tmp_path), "--output-dir", str(tmp_path / "out"),
            "--max-parallel", "1"]
    assert main(args) == 0
    out = tmp_path / "out"
    printed = capsys.readouterr().out
    assert "| model | Z2 | tomita4 | mean |" in printed and "lstm (H8)" in printed
    card = json.loads((out / "scorecard.json").read_text())
    assert set(card["cells"]) == {"lstm", "transformer"} and card["seeds"] == [0]
    assert card["cells"]["lstm"]["tomita4"]["in_distribution"]["chance"][0] > 0.5  # "01$" most of the time
    for name in ("scorecard.md", "scorecard.png", "score_by_state_size.png", "summary.md", "Z2-lstm/seed0"):
        assert (out / name).exists(), name
    trained = []
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: trained.append(cfg.output_dir))
    assert main(args) == 0
    assert trained == [] and "(reused)" in capsys.readouterr().out
    assert json.loads((out / "scorecard.json").read_text())["cells"] == card["cells"]


@pytest.mark.parametrize("argv, message", [
    (["--models", "lstmm"], "unknown model 'lstmm' in --models; did you mean 'lstm'?"),
    (["--models", "lstm,,gru"], "--models takes a comma-separated list"),
    (["--models", "arch:no_such_type"], "--models arch:no_such_type: unknown transformers model_type"),
    (["--models", "lstm,lstm"], "two --models entries are both called 'lstm'"),
    (["--models", "missing.yaml"], "config file missing.yaml does not exist"),
    (["--suite", "missing.yaml"], "config file missing.yaml does not exist"),
    (["--scale", "paper"], "--scale must be one of (none: this suite has no scales) for suite tiny"),
], ids=["unknown-preset", "empty-entry", "unknown-architecture", "twice", "model-file", "suite-file", "scale"])
def test_bad_input_is_one_line_and_exit_2_before_any_work(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.setattr(grid, "run_experiment", lambda cfg: pytest.fail("trained"))
    monkeypatch.chdir(tmp_path)
    assert main(["benchmark", "--suite", write_suite(tmp_path), "--output-dir", "out", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("changes, message", [
    ({"colour": "red"}, "unknown key 'colour' in the suite"),
    ({"tasks": [{"id": "Z2", "task": {"name": "Z2", "train_length": [1, 6]}}]}, "suite task Z2 needs ood"),
    ({"tasks": [{"id": "a b", "task": {"name": "Z2", "train_length": 4}, "ood": 8}]}, "suite task id must be"),
    ({"tasks": [{"id": "x", "task": {"name": "Q9", "train_length": 4}, "ood": 8}]}, "unknown task"),
    ({"tasks": [{"id": "x", "task": {"name": "Z2"}, "ood": 8}]}, "suite task x: task: needs a train_length"),
    ({"score": "accuracy"}, "suite score must be one of token_accuracy"),
    ({"run": {"model": {"preset": "lstm"}}}, "suite run: may not set model"),
    ({"scales": {"big": {"tasks": {"nope": {"ood": 9}}}}}, "scale big: tasks: 'nope' is not a task of the suite"),
], ids=["key", "no-ood", "bad-id", "bad-task", "no-length", "score", "run-model", "scale-task"])
def test_bad_suites_are_one_line(tmp_path, changes, message):
    with pytest.raises(StateTrackError, match=message.replace("(", r"\(")):
        make_plan(write_suite(tmp_path, **changes), scale="big" if "scales" in changes else None)


def test_scale_replaces_keys_and_task_protocols(tmp_path):
    path = write_suite(tmp_path, scales={"big": {"seeds": 2, "run": {"training": {"max_steps": 5}},
                                                  "tasks": {"Z2": {"ood": [7, 12]}}}})
    plan = make_plan(path, scale="big", output_dir=str(tmp_path / "out"))
    assert plan.seeds == [0, 1] and plan.scale == "big"
    point = {c.point.name: c.point for c in plan.cells}["Z2-lstm"]
    assert point.raw["training"]["max_steps"] == 5 and point.raw["evaluation"]["test_lengths"] == [[7, 12]]
    assert point.raw["training"]["per_device_train_batch_size"] == 16  # the rest of run: kept
    assert {c.point.name: c.hidden_size for c in plan.cells}["Z2-lstm"] == 8  # the budget is an lstm of width 8


def test_refs_with_nothing_scored_are_refused():
    with pytest.raises(StateTrackError, match="no position is scored"):
        chance_levels([[IGNORE, IGNORE]])

"""Natural-text tasks: the shared contract over all four families, then cups and programs against references.

Every family is checked against an independent, plainly written reference that reads the rendered
text (not the generator's arrays): hand-composed permutations for cups, Python's own `exec` for programs.
"""

import re
import string

import numpy as np
import pytest

from hf_statetrack import get_task, load_dataset, text_view
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.tasks import IGNORE
from hf_statetrack.tasks.group_specs import symmetric
from hf_statetrack.tasks.word_problem import WordProblemTask
from hf_statetrack.text import render_row

SMALL = {  # name -> parameters small enough for fast tests (and for the tiny checkpoints' context)
    "cups_S5": {}, "cups_S3": {"answer": "arrangement"}, "cups_S4": {"generators": "all"},
    "programs": {}, "boxes": {"num_boxes": 3, "num_objects": 6, "max_per_box": 2, "expected_per_box": 1},
    "chess_pieces": {}, "chess_pieces/san": {"notation": "san", "query": "king", "start": "openings"},
}


def make(key):
    return get_task(key.split("/")[0], **SMALL[key])


def rows(task, count=40, lengths=(1, 12), seed=0):
    rng = np.random.default_rng(seed)
    return list(task.sample(rng, rng.integers(lengths[0], lengths[1] + 1, size=count)).rows())


@pytest.mark.parametrize("key", list(SMALL))
def test_rows_render_with_exact_answer_spans(key):
    task = make(key)
    for ids, labels, length in rows(task, count=15):
        assert len(ids) == length + task.preamble and labels[:task.preamble] == [IGNORE] * task.preamble
        assert all(0 <= y < len(task.label_vocab) for y in labels[task.preamble:])
        final = render_row(task, ids, labels, "final")
        assert "\n" not in final.text and final.ends[-1] == len(final.text) and len(final.starts) == 1
        assert final.text[final.starts[0]:] == " " + task.label_vocab[labels[-1]]
        assert final.state_classes == labels[task.preamble:] and len(final.state_ends) == length
        every = render_row(task, ids, labels, "all")
        assert [every.text[s:e] for s, e in zip(every.starts, every.ends)] == [
            " " + task.label_vocab[y] for y in labels[task.preamble:]]
        assert every.classes == every.state_classes == final.state_classes
        assert all(every.text[:s].endswith("?") or every.text[:s].endswith(("==", "contains"))
                   for s in every.starts)


@pytest.mark.parametrize("key", list(SMALL))
def test_describe_params_and_label_vocab(key):
    task = make(key)
    assert "example" in task.describe() and task.name in task.one_line()
    assert len(set(task.label_vocab)) == len(task.label_vocab)  # choice mode's candidates, each once
    again = get_task(task.name, **task.params)
    assert again.vocab == task.vocab and again.label_vocab == task.label_vocab


@pytest.mark.parametrize("key", ["cups_S3", "programs", "boxes", "chess_pieces"])
def test_datasets_are_reproducible_and_test_rows_are_not_in_train(key):
    params = dict(train_length=(1, 4), num_train=300, num_test=100, seed=3, **SMALL[key])
    ds = load_dataset(key, **params)
    train = {tuple(r) for r in ds["train"]["input_ids"]} | {tuple(r) for r in ds["validation"]["input_ids"]}
    assert len(ds["test"]) > 0 and not train & {tuple(r) for r in ds["test"]["input_ids"]}
    assert load_dataset(key, **params)["train"]["input_ids"] == ds["train"]["input_ids"]
    text = text_view(ds["test"], make(key))
    assert text[0]["target"] == make(key).label_vocab[text[0]["answer_labels"][-1]]
    assert ds["test"]["text"] == text["text"] and ds["test"]["target"] == text["target"]  # the rows carry their text


# --- cups: the S_n word problem in words -------------------------------------------------------------------


@pytest.mark.parametrize("n, generators", [(3, "transpositions"), (5, "transpositions"), (4, "all")])
def test_cups_states_are_the_word_problem_on_the_same_draws(n, generators):
    lengths = np.random.default_rng(1).integers(1, 15, size=200)
    word = WordProblemTask(symmetric(n), generators=generators).sample(np.random.default_rng(7), lengths)
    arrangement = get_task(f"cups_S{n}", answer="arrangement", generators=generators)
    same = arrangement.sample(np.random.default_rng(7), lengths)
    for (w_ids, w_labels, _), (ids, labels, _) in zip(word.rows(), same.rows()):
        assert ids == w_ids and labels == w_labels
    ball = get_task(f"cups_S{n}", generators=generators)
    rng = np.random.default_rng(7)
    balls = ball.sample(rng, lengths)
    perms = symmetric(n).permutations
    for (_, w_labels, _), (ids, labels, _) in zip(word.rows(), balls.rows()):
        start = ids[0] - ball.word.group.order
        assert labels[1:] == [int(perms[s, start]) for s in w_labels]  # the ball moves with its cup


def cups_reference(text):
    """Follow the story by hand: parse each sentence and move the cups (a list of labels by place)."""
    n = int(re.match(r"There are (\d) cups", text).group(1))
    cups = list(string.ascii_uppercase[:n])
    ball = re.search(r"ball under cup (\d)", text)
    if ball:
        cups = ["ball" if i + 1 == int(ball.group(1)) else "-" for i in range(n)]
    for sentence in re.findall(r"(Swap cups \d and \d|Move cups [\d, ]+ to places [\d, ]+)\.", text):
        if sentence.startswith("Swap"):
            i, j = (int(x) - 1 for x in re.findall(r"\d", sentence))
            cups[i], cups[j] = cups[j], cups[i]
        else:
            src, dst = (list(map(int, part.split(", "))) for part in re.findall(r"\d[\d, ]*", sentence))
            moved = cups[:]
            for a, b in zip(src, dst):
                moved[b - 1] = cups[a - 1]
            cups = moved
    return f"cup {cups.index('ball') + 1}" if ball else " ".join(cups)


@pytest.mark.parametrize("name, params", [("cups_S5", {}), ("cups_S4", {"generators": "all"}),
                                          ("cups_S3", {"answer": "arrangement", "generators": "all"}),
                                          ("cups_S6", {"answer": "arrangement"})])
def test_cups_match_a_hand_simulation_of_the_text(name, params):
    task = get_task(name, **params)
    for ids, labels, _ in rows(task, count=300, lengths=(1, 20)):
        row = render_row(task, ids, labels, "final")
        assert cups_reference(row.text[:row.starts[0]]) == task.label_vocab[labels[-1]]


def test_cups_bad_names_and_parameters_fail_in_one_line():
    with pytest.raises(StateTrackError, match="number of cups must be 2..7"):
        get_task("cups_S9")
    with pytest.raises(StateTrackError, match="answer must be one of ball, arrangement"):
        get_task("cups_S5", answer="where")
    with pytest.raises(StateTrackError, match="no parameter 'n'"):
        get_task("cups_S5", n=4)


# --- programs: Python runs the text ------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"num_variables": 5, "modulus": 7}, {"num_variables": 1, "modulus": 3}])
def test_programs_run_as_python_and_agree_with_exec(params):
    task = get_task("programs", **params)
    for ids, labels, length in rows(task, count=300, lengths=(1, 20)):
        every = task.render(ids, labels, "all")
        exec(every, {})  # every answer is an assert that holds
        final = render_row(task, ids, labels, "final")
        program, question = final.text[:final.starts[0]].rsplit(" assert ", 1)
        namespace = {}
        exec(program, namespace)  # noqa: S102 - the independent reference is Python itself
        assert str(namespace[question.split()[0]]) == task.label_vocab[labels[-1]]
        assert program.count(";") == length + task.k
        wrong = final.text[:final.starts[0]] + f" {(labels[-1] + 1) % task.m}"
        with pytest.raises(AssertionError):
            exec(wrong, {})


def test_programs_draw_every_kind_of_statement():
    task = get_task("programs")
    text = " ".join(task.render(ids, labels) for ids, labels, _ in rows(task, count=50))
    assert all(pattern in text for pattern in (", b = b, a;", "+ 1) % 10;", "a = b;", "c = 7;"))
    with pytest.raises(StateTrackError, match="num_variables must be 1..26"):
        get_task("programs", num_variables=0)


@pytest.mark.parametrize("module", ["base", "cups", "boxes"])
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"hf_statetrack.tasks.worded.{module}"))
    assert result.attempted > 0 and result.failed == 0


def test_cli_lists_and_describes_text_tasks(capsys):
    from hf_statetrack.cli import main

    assert main(["tasks", "--family", "text"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("cups_S5", "programs", "boxes", "chess_pieces"))
    assert main(["tasks", "boxes"]) == 0
    assert "as text for pretrained LMs (answers=final): Box 0 contains" in capsys.readouterr().out
    assert main(["tasks", "cups_S9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cups_S9: the number of cups must be 2..7") and err.count("\n") == 1

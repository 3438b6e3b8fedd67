"""The text format against a plainly written reference renderer, over every registered task."""

import numpy as np
import pytest

from hf_statetrack import get_task, list_tasks, load_dataset, text_view
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.tasks import IGNORE
from hf_statetrack.text import answer_correctness, render_row


def reference_text(task, ids, labels, answers):
    symbols = [task.vocab[t] for t in ids]
    scored = [i for i, label in enumerate(labels) if label != IGNORE]
    answer_of = {i: task.label_vocab[labels[i]] for i in scored}
    if "<blank>" in symbols and symbols[scored[0]] == "<blank>":
        inputs = " ".join(s for s in symbols if s != "<blank>")
        return inputs + " =" + "".join(" " + answer_of[i] for i in scored), [answer_of[i] for i in scored]
    keep = scored[-1:] if answers == "final" else scored
    pieces = [s + (" = " + answer_of[i] if i in keep else "") for i, s in enumerate(symbols)]
    return " ".join(pieces), [answer_of[i] for i in keep]


def sample_rows(task, count=20, seed=0):
    lengths = task.length_support(1, 9)
    rng = np.random.default_rng(seed)
    return list(task.sample(rng, rng.choice(lengths, size=count)).rows())


@pytest.mark.parametrize("answers", ["final", "all"])
@pytest.mark.parametrize("name", [n for n in list_tasks() if n not in list_tasks("text")])  # text: own references
def test_render_matches_reference(name, answers):
    task = get_task(name)
    for ids, labels, _ in sample_rows(task):
        text, starts, ends, classes, first, state_ends, state_classes = render_row(task, ids, labels, answers)
        expected_text, expected_answers = reference_text(task, ids, labels, answers)
        assert text == expected_text
        assert [text[s:e] for s, e in zip(starts, ends)] == [" " + a for a in expected_answers]
        assert [task.label_vocab[c] for c in classes] == expected_answers
        assert text[:starts[first]].endswith("=") and ends[-1] <= len(text)
        assert state_classes == [label for label in labels if label != IGNORE]
        assert state_ends == sorted(state_ends) and len(state_ends) == len(state_classes)


def test_state_ends_are_where_each_state_is_fixed():
    task = get_task("S3")  # every position scored; only the final state written
    row = render_row(task, [3, 1, 4], [3, 2, 0], "final")
    assert row.text == "231 132 312 = 123"
    assert [row.text[:e] for e in row.state_ends] == ["231", "231 132", "231 132 312"]
    flip = render_row(get_task("flip_flop"), [0, 4, 1, 4], [-100, -100, 1, -100], "all")
    assert flip.text == "w 1 r = 1 1" and [flip.text[:e] for e in flip.state_ends] == ["w 1 r"]
    rev = render_row(get_task("reverse_string"), [0, 1, 2, 2], [-100, -100, 1, 0], "all")
    assert rev.text == "0 1 = 1 0" and [rev.text[:e] for e in rev.state_ends] == ["0 1 =", "0 1 = 1"]


def test_word_problems_write_only_the_final_state_by_default():
    ds = load_dataset("S3", train_length=4, num_train=5, num_test=5)
    row = text_view(ds, get_task("S3"))["train"][0]
    assert row["text"].count("=") == 1 and row["text"] == f"{row['prompt']} {row['target']}"
    assert len(row["answer_labels"]) == 1 and row["length"] == 4
    assert set(text_view(ds, get_task("S3"))) == {"train", "validation", "test"}


def test_formal_language_writes_every_continuation_set():
    task = get_task("dyck1")
    text, *_ = render_row(task, [0, 0, 1, 1], [0, 0, 0, 1], "all")
    assert text == "( = () ( = () ) = () ) = ($"


def test_transduction_target_is_the_whole_output():
    task = get_task("reverse_string")
    ds = load_dataset("reverse_string", train_length=3, num_train=4, num_test=0, num_validation=0)["train"]
    row = text_view(ds, task)[0]
    inputs = row["prompt"].removesuffix(" =").split(" ")
    assert row["target"].split(" ") == inputs[::-1] and len(row["answer_labels"]) == 3


def test_bad_answers_mode():
    ds = load_dataset("S3", train_length=4, num_train=5, num_test=5)
    with pytest.raises(StateTrackError, match="answers must be one of final, all"):
        text_view(ds, get_task("S3"), answers="some")


def test_answer_correctness_against_a_loop():
    rng = np.random.default_rng(0)
    vocab = 50
    n, t = 40, 12
    answer = np.sort(rng.integers(0, 4, size=(n, t)), axis=1)
    tokens = rng.integers(0, vocab, size=(n, t))
    labels = np.where(rng.random((n, t)) < 0.6, tokens + vocab * answer, IGNORE)
    predictions = np.where(rng.random((n, t)) < 0.9, tokens, (tokens + 1) % vocab)
    pred, lab = answer_correctness(predictions, labels, vocab)
    for i in range(n):
        for j in range(pred.shape[1]):
            cols = [c for c in range(t) if labels[i, c] != IGNORE and labels[i, c] // vocab == j]
            if not cols:
                assert lab[i, j] == IGNORE and pred[i, j] == IGNORE
                continue
            right = all(predictions[i, c] == labels[i, c] % vocab for c in cols)
            assert lab[i, j] == 0 and pred[i, j] == (0 if right else 1)


def test_docstring_examples():
    import doctest

    from hf_statetrack.text import render, tokenize

    result = doctest.testmod(render)
    assert result.attempted > 0 and result.failed == 0 and doctest.testmod(tokenize).failed == 0

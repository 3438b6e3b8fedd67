"""label_framing="sarrof" (Sarrof et al.'s targets) and Shuffle-k nested=True.

The framing was compared position by position with the peer's published files (generated_ds/*, 310,884 strings):
25 languages identical, Tomita 3 identical under "sarrof_as_published", {0,1,2}*02* different exactly at the
prefixes ending in 0. Here a hand-written fixture in their format (data/sarrof_targets.txt) stands in for them.
"""

import itertools
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from hf_statetrack import StateTrackError, get_task, list_tasks, load_dataset
from hf_statetrack.stats.scoring import compute_metrics
from hf_statetrack.tasks import IGNORE

FIXTURE = Path(__file__).parent / "data" / "sarrof_targets.txt"
ROWS = [line.split() for line in FIXTURE.read_text().splitlines() if line.strip() and not line.startswith("#")]
LANGUAGES = sorted(n for n in list_tasks("formal_languages") if n not in ("bounded_dyck", "dn"))
PAIRS = ["()", "[]", "{}", "<>", "+-", "ab"]


def test_fixture_covers_the_27_languages():
    assert len(LANGUAGES) == 27 and sorted({row[0] for row in ROWS}) == LANGUAGES


@pytest.mark.parametrize("name, framing, text, target", ROWS, ids=[f"{r[0]}-{r[2]}-{r[1]}" for r in ROWS])
def test_reproduces_the_peer_targets(name, framing, text, target):
    task = get_task(name, label_framing=framing)
    assert "".join(task.labels_of(text)) == target
    assert [task.label_vocab[i] for i in task.target_ids(target)] == task.labels_of(text)


def test_zero_one_two_differs_from_the_published_targets_only_after_a_0():
    """The peer never marks a prefix ending in 0 as complete, though it is in {0,1,2}*02* (ours is right)."""
    text, published = "2010220120", "cccceecccc"  # their target, written by hand in their format
    ours = "".join(get_task("zero_one_two", label_framing="sarrof").labels_of(text))
    assert ours == "ceceeeecce"
    assert [i for i, (a, b) in enumerate(zip(ours, published)) if a != b] == [i for i, c in enumerate(text) if c == "0"]


@pytest.mark.parametrize("name", LANGUAGES)
def test_sarrof_is_the_projection_of_the_continuation_sample(name):
    """Same seed, same strings; each sarrof label is the projection of the continuation label at that position."""
    ours, theirs = get_task(name), get_task(name, label_framing="sarrof")
    lengths = ours.length_support(1, 40)
    lengths = np.random.default_rng(1).choice(lengths, size=24)
    a, b = (task.sample(np.random.default_rng(5), lengths) for task in (ours, theirs))
    np.testing.assert_array_equal(a.input_ids, b.input_ids)
    np.testing.assert_array_equal(theirs.project(a.labels), b.labels)
    assert (b.labels[a.labels == IGNORE] == IGNORE).all()
    for ids, labels, _ in b.rows():  # the sampler's labels against the symbol-by-symbol reference
        assert [theirs.label_vocab[y] for y in labels] == theirs.labels_of("".join(theirs.vocab[i] for i in ids))
    assert theirs.params == {"label_framing": "sarrof"} and ours.params == {}  # default cache keys unchanged
    assert "labels (sarrof)" in theirs.describe()


@pytest.mark.parametrize("name", LANGUAGES)
def test_continuation_labels_of_agree_with_the_sampler(name):
    task = get_task(name)
    batch = task.sample(np.random.default_rng(2), task.length_support(1, 30)[:12])
    for ids, labels, _ in batch.rows():
        assert [task.label_vocab[y] for y in labels] == task.labels_of("".join(task.vocab[i] for i in ids))


def test_tomita3_as_published_is_a_state_labelling_not_a_projection():
    task = get_task("tomita3", label_framing="sarrof_as_published")
    assert task.labels_of("1001") == ["01", "10", "01", "01"]  # "0 may not follow 1": wrong, "100" is a member
    assert "mistake" in task.describe()
    with pytest.raises(StateTrackError, match="not a projection"):
        task.project(np.array([0]))


@pytest.mark.parametrize("name, params, match", [
    ("parity", {"label_framing": "sarrof_as_published"}, "must be one of 'continuation', 'sarrof'"),
    ("tomita3", {"label_framing": "paper"}, "must be one of"),
    ("bounded_dyck", {"label_framing": "sarrof"}, "no parameter 'label_framing'"),
    ("dyck1", {"nested": True}, "no parameter 'nested'"),
    ("shuffle2", {"nested": "yes"}, "nested must be True or False"),
])
def test_bad_framing_params_fail_in_one_line(name, params, match):
    with pytest.raises(StateTrackError, match=match):
        get_task(name, **params)


def test_load_dataset_with_the_peer_targets(tmp_path):
    kwargs = dict(train_length=(1, 20), test_length=(21, 30), num_train=40, num_test=10, cache_dir=str(tmp_path))
    ours = load_dataset("d2", **kwargs)
    theirs = load_dataset("d2", label_framing="sarrof", **kwargs)
    task = get_task("d2", label_framing="sarrof")
    for split in ("train", "validation", "test"):
        assert ours[split]["input_ids"] == theirs[split]["input_ids"]
        assert theirs[split]["labels"] == [task.project(np.array(row)).tolist() for row in ours[split]["labels"]]


# ----------------------------------------------------------------- the metric on either framing
def test_the_metric_scores_either_framing_and_projected_predictions():
    """Either framing's labels are class ids to the metric, whatever the width of the peer's bit vectors: a model's
    continuation-set predictions are scored on the peer's targets through `project`, and bit-vector lines in the
    peer's format through `target_ids`."""
    ours, theirs = get_task("d2"), get_task("d2", label_framing="sarrof")
    batch = ours.sample(np.random.default_rng(0), np.array([8, 10, 12]))
    preds = batch.labels.copy()
    preds[0, 1] = (preds[0, 1] + 1) % len(ours.label_vocab)  # one wrong continuation set in row 0
    on_ours = compute_metrics(preds, batch.labels, lengths=batch.lengths)
    on_theirs = compute_metrics(theirs.project(preds), theirs.project(batch.labels), lengths=batch.lengths)
    assert on_ours["sequence_accuracy"] == pytest.approx(2 / 3)
    wrong_there = theirs.project(preds)[0, 1] != theirs.project(batch.labels)[0, 1]
    assert on_theirs["sequence_accuracy"] == pytest.approx(2 / 3 if wrong_there else 1.0)
    refs = [theirs.target_ids("11011110")]  # aabb
    assert compute_metrics([theirs.target_ids("11011111")], refs)["token_accuracy"] == 0.75  # "11" never ends aabb
    assert theirs.target_ids("11011100") == [*refs[0][:3], -1]  # "00" is no label: wrong, never scored right


# ----------------------------------------------------------------- Shuffle-k, nested=True
def dyck_k_words(length: int, pairs: int) -> list[str]:
    """Every properly nested string of this length over the first `pairs` bracket pairs, by brute force."""
    words = []
    for candidate in itertools.product("".join(PAIRS[:pairs]), repeat=length):
        stack = []
        for c in candidate:
            if any(c == o for o, _ in PAIRS[:pairs]):
                stack.append(c)
            elif not stack or PAIRS[[o for o, _ in PAIRS].index(stack.pop())][1] != c:
                break
        else:
            if not stack:
                words.append("".join(candidate))
    return words


@pytest.mark.parametrize("pairs", [2, 4])
def test_nested_shuffle_draws_only_nested_strings(pairs):
    task = get_task(f"shuffle{pairs}", nested=True)
    batch = task.sample(np.random.default_rng(0), np.arange(2, 81, 2).repeat(5))
    nested = set(PAIRS[:pairs])
    for ids, labels, _ in batch.rows():
        text = "".join(task.vocab[i] for i in ids)
        while any(pair in text for pair in nested):  # remove innermost pairs until nothing is left
            for pair in nested:
                text = text.replace(pair, "")
        assert text == ""
        assert [task.label_vocab[y] for y in labels] == task.labels_of("".join(task.vocab[i] for i in ids))
    assert task.params == {"nested": True} and "nested=True" in task.describe()


@pytest.mark.parametrize("pairs, length", [(2, 4), (2, 6), (3, 6)])
def test_nested_shuffle_is_uniform_over_the_enumerated_words(pairs, length):
    """All Catalan(n) k^n nested words occur, each with frequency within 5 sigma of 1 / count."""
    words = dyck_k_words(length, pairs)
    task = get_task("shuffle2" if pairs == 2 else "shuffle4", nested=True)
    if pairs == 3:  # shuffle3 is not registered: the task class takes any number of pairs
        task = type(task)(pairs=3, nested=True)
    assert task.num_strings(length) == len(words)
    draws = 200 * len(words)
    batch = task.sample(np.random.default_rng(7), np.full(draws, length))
    counts = Counter("".join(task.vocab[i] for i in row) for row in batch.input_ids)
    assert set(counts) == set(words)
    p = 1 / len(words)
    sigma = np.sqrt(draws * p * (1 - p))
    assert max(abs(c - draws * p) for c in counts.values()) < 5 * sigma

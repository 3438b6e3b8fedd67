"""Boxes against a dict-of-sets simulation of the text; chess against a python-chess replay."""

import re
import sys
from math import comb

import numpy as np
import pytest

from hf_statetrack import get_task
from hf_statetrack.core.errors import StateTrackError
from hf_statetrack.tasks.worded.chess_games import OPENINGS, PIECE_LABELS
from hf_statetrack.text import render_row

chess = pytest.importorskip("chess")


def sample(task, count, lengths, seed=0):
    rng = np.random.default_rng(seed)
    return list(task.sample(rng, rng.integers(lengths[0], lengths[1] + 1, size=count)).rows())


# --- boxes -------------------------------------------------------------------------------------------------


def boxes_reference(text, cap):
    """Read the story sentence by sentence into a dict of sets, checking that every operation is valid.

    Returns the contents after each operation, as the paper writes them (objects in `order`)."""
    description, *sentences = text.split(". ")
    boxes = {int(b): set(re.findall(r"the (\w+)", contents))
             for b, contents in re.findall(r"Box (\d) contains ([\w ]+)", description)}
    assert all(len(c) <= cap for c in boxes.values())
    placed = [o for c in boxes.values() for o in c]
    assert len(placed) == len(set(placed))  # each object in at most one box
    history = []
    for sentence in sentences:
        if m := re.match(r"Move the (\w+) from Box (\d) to Box (\d)", sentence):
            obj, src, dst = m.group(1), int(m.group(2)), int(m.group(3))
            assert obj in boxes[src] and src != dst and len(boxes[dst]) < cap
            boxes[src].remove(obj)
            boxes[dst].add(obj)
        elif m := re.match(r"Remove the (\w+) from Box (\d)", sentence):
            boxes[int(m.group(2))].remove(m.group(1))  # KeyError if it is not there
        elif m := re.match(r"Put the (\w+) into Box (\d)", sentence):
            obj, dst = m.group(1), int(m.group(2))
            assert all(obj not in c for c in boxes.values()) and len(boxes[dst]) < cap
            boxes[dst].add(obj)
        else:
            continue
        history.append({b: set(c) for b, c in boxes.items()})
    return history


@pytest.mark.parametrize("params", [{}, {"num_boxes": 3, "num_objects": 6, "max_per_box": 2, "expected_per_box": 1},
                                    {"num_boxes": 2, "num_objects": 2, "max_per_box": 1, "expected_per_box": 0.5}])
def test_boxes_match_a_dict_of_sets_simulation(params):
    task = get_task("boxes", **params)
    seen_kinds = set()
    for ids, labels, length in sample(task, 200, (1, 15)):
        row = render_row(task, ids, labels, "final")
        history = boxes_reference(row.text[:row.starts[0]], task.cap)
        assert len(history) == length
        queried = int(re.search(r"Box (\d) contains$", row.text[:row.starts[0]]).group(1))
        for state, label in zip(history, labels[task.preamble:]):
            words = task.label_vocab[label]
            assert set(re.findall(r"the (\w+)", words)) == state[queried]
            assert words == "nothing" or words.split(" and ") == [f"the {o}" for o in
                                                                  sorted(state[queried], key=task_order(task))]
        seen_kinds |= {w for w in ("Move", "Remove", "Put") if f"{w} the" in row.text}
    assert seen_kinds == {"Move", "Remove", "Put"}


def task_order(task):
    names = [v.split("@")[0] for v in task.vocab[task.B:task._op_base:task.B + 1]]
    return names.index


def test_boxes_label_space_is_every_small_set_and_initial_counts_follow_the_paper():
    task = get_task("boxes")
    assert len(task.label_vocab) == sum(comb(25, s) for s in range(4)) == 2626
    assert task.label_vocab[:2] == ["nothing", "the apple"]
    places = task.initial_places(np.random.default_rng(0), 20_000)
    per_box = np.stack([(places == b).sum(axis=1) for b in range(7)], axis=1)
    assert per_box.max() <= 3 and abs(per_box.mean() - 2) < 0.02  # the paper's m = 3, e = 2
    with pytest.raises(StateTrackError, match="num_objects must be between"):
        get_task("boxes", num_objects=5)


# --- chess -------------------------------------------------------------------------------------------------


def replay_labels(moves, query):
    board, labels = chess.Board(), []
    for move in moves:
        assert chess.Move.from_uci(move) in board.legal_moves
        board.push_uci(move)
        if query.endswith("king"):
            labels.append(chess.square_name(board.king(query.startswith("white"))))
        else:
            piece = board.piece_at(chess.parse_square(query))
            labels.append("nothing" if piece is None else
                          f"{'white' if piece.color else 'black'} {chess.piece_name(piece.piece_type)}")
    return labels


@pytest.mark.parametrize("params", [{}, {"query": "king", "start": "openings"}])
def test_chess_labels_match_a_python_chess_replay(params):
    task = get_task("chess_pieces", **params)
    for ids, labels, length in sample(task, 60, (1, 60)):
        moves = [task.vocab[t] for t in ids[1:]]
        assert len(moves) == length
        query = task.vocab[ids[0]][1:]
        assert [task.label_vocab[y] for y in labels[1:]] == replay_labels(moves, query)
        assert query.endswith("king") or any(query in (m[:2], m[2:4]) for m in moves)  # a square the game touches
        if task.start == "openings":
            assert any(" ".join(moves).startswith(line[:len(" ".join(moves))]) for line in OPENINGS.values())


def test_chess_san_text_replays_to_the_same_moves():
    task = get_task("chess_pieces", notation="san")
    for ids, labels, _ in sample(task, 40, (1, 40)):
        text = task.render(ids, labels)
        board = chess.Board()
        san = re.sub(r"\d+\. ", "", text.split(": ", 1)[1].rsplit(" What is on", 1)[0]).split()
        for token, move in zip(san, ids[1:], strict=True):
            board.push(board.parse_san(token))
            assert board.peek().uci() == task.vocab[move]


def test_chess_label_vocab_and_missing_package(monkeypatch):
    assert get_task("chess_pieces").label_vocab == PIECE_LABELS and len(PIECE_LABELS) == 13
    assert len(get_task("chess_pieces", query="king").label_vocab) == 64
    for opening in OPENINGS.values():
        board = chess.Board()
        for move in opening.split():
            board.push_uci(move)  # raises if an opening line is illegal
    monkeypatch.setitem(sys.modules, "chess", None)
    with pytest.raises(StateTrackError, match=r"pip install 'hf-statetrack\[chess\]'"):
        get_task("chess_pieces").sample(np.random.default_rng(0), np.array([3]))

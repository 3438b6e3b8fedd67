"""Boxes (Kim & Schuster 2023, "Entity Tracking in Language Models"): what is in a box after moves?

A row describes the contents of ``num_boxes`` boxes, then ``length`` operations, and asks what one
box contains (the paper's cloze, "Box 2 contains")::

    Box 0 contains the bag, Box 1 contains nothing, Box 2 contains the car and the pen. Move the car from
    Box 2 to Box 0. Put the hat into Box 2. Remove the bag from Box 0. Box 2 contains the hat and the pen

Rules, after the paper (7 boxes, at most 3 objects per box, 2 expected per box initially, each object
in at most one box): each box starts with Binomial(max_per_box, expected_per_box / max_per_box) distinct
objects. An operation must be valid in the current state: "Move the X from Box i to Box j" needs X in
box i and room in box j, "Remove the X from Box i" needs X in box i, "Put the X into Box i" needs X in
no box and room in box i. Its kind is drawn uniformly among the kinds possible now, then the operation
uniformly among the valid ones of that kind. Where we differ from the paper (see `describe`): one
queried box per row (the paper asks about every box after every operation), one object per operation,
a fixed object set of ``num_objects`` nouns (the paper draws from 100), and the answer lists the objects
in the order of that set, so that the label space is exact: every set of at most ``max_per_box`` objects.
"""

from __future__ import annotations

import itertools
from math import comb

import numpy as np

from ...core.errors import StateTrackError
from ..registry import register_task
from .base import TextLayout, TextTask

OBJECTS = ("apple", "bag", "bell", "book", "bottle", "car", "clock", "coat", "doll", "fish", "glass", "hat", "key",
           "lamp", "map", "pen", "phone", "plane", "ring", "rock", "shoe", "spoon", "string", "watch", "wire")


def contents_phrase(objects) -> str:
    """The paper's wording of a box's contents.

    >>> contents_phrase([]), contents_phrase(["car"]), contents_phrase(["bag", "car", "pen"])
    ('nothing', 'the car', 'the bag and the car and the pen')
    """
    return " and ".join(f"the {o}" for o in objects) or "nothing"


class BoxesTask(TextTask):
    """Track the contents of one box through move / remove / put operations."""

    name = "boxes"

    def __init__(self, num_boxes: int = 7, num_objects: int = 25, max_per_box: int = 3, expected_per_box: float = 2):
        if not 2 <= num_boxes <= 10 or not 1 <= max_per_box <= 5:
            raise StateTrackError(f"boxes needs 2..10 boxes holding 1..5 objects each, got {num_boxes} boxes "
                                  f"of {max_per_box}")
        if not num_boxes * max_per_box <= num_objects <= len(OBJECTS):
            raise StateTrackError(f"num_objects must be between num_boxes * max_per_box = {num_boxes * max_per_box} "
                                  f"(room for every initial draw) and {len(OBJECTS)}, got {num_objects}")
        if not 0 <= expected_per_box <= max_per_box:
            raise StateTrackError(f"expected_per_box must be in [0, max_per_box], got {expected_per_box}")
        self.B, self.O, self.cap, self.expected = num_boxes, num_objects, max_per_box, float(expected_per_box)
        self.preamble = 1 + num_objects  # the queried box, then each object's initial box (B = in no box)
        places = [f"box {b}" for b in range(self.B)] + ["none"]
        self.vocab = ([f"?box {b}" for b in range(self.B)]
                      + [f"{o}@{p}" for o, p in itertools.product(OBJECTS[:self.O], places)]
                      + [self._op_phrase(o, f, t) for o, f, t in self._ops()])
        self._op_base = self.B + self.O * (self.B + 1)
        sets = [c for size in range(self.cap + 1) for c in sorted(itertools.combinations(range(self.O), size),
                                                                    key=lambda c: c[::-1])]  # by size, then colex
        self.label_vocab = [contents_phrase(OBJECTS[i] for i in c) for c in sets]
        self._size_offset = np.cumsum([0] + [comb(self.O, s) for s in range(self.cap)])
        self._binom = np.array([[comb(o, j) for j in range(self.cap + 2)] for o in range(self.O)])

    def _ops(self):
        """(object, from, to) over places 0..B (B = no box), from != to: move, remove (to B) and put (from B)."""
        return [(o, f, t) for o in range(self.O) for f in range(self.B + 1) for t in range(self.B + 1)
                if f != t and (f, t) != (self.B, self.B)]

    def _op_phrase(self, o: int, f: int, t: int) -> str:
        if f == self.B:
            return f"Put the {OBJECTS[o]} into Box {t}."
        if t == self.B:
            return f"Remove the {OBJECTS[o]} from Box {f}."
        return f"Move the {OBJECTS[o]} from Box {f} to Box {t}."

    @property
    def params(self) -> dict:
        return {"num_boxes": self.B, "num_objects": self.O, "max_per_box": self.cap,
                "expected_per_box": self.expected}

    def initial_places(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """(N, O) initial box of each object (B = none): Binomial counts per box, then distinct objects."""
        counts = rng.binomial(self.cap, self.expected / self.cap, size=(n, self.B))
        order = np.argsort(rng.random((n, self.O)), axis=1)  # a uniform random order of the objects
        box_of_rank = (np.arange(self.O)[None, :, None] >= np.cumsum(counts, axis=1)[:, None, :]).sum(axis=2)
        places = np.empty((n, self.O), dtype=np.int8)  # small dtypes: the per-step arrays are (N, O)
        np.put_along_axis(places, order, box_of_rank, axis=1)  # the object at rank r goes to box_of_rank[r]
        return places

    def draw_operations(self, rng: np.random.Generator, places: np.ndarray, counts: np.ndarray):
        """One valid operation per row: (object, from, to) arrays, drawn as the module docstring says."""
        n, rows = len(places), np.arange(len(places))
        room = counts[:, :self.B] < self.cap  # (N, B)
        in_box = places < self.B  # (N, O)
        own_room = np.concatenate([room, np.zeros((n, 1), bool)], axis=1)[rows[:, None], places]
        free = room.sum(axis=1, dtype=np.int8)
        move_targets = np.where(in_box, free[:, None] - own_room, 0).astype(np.int8)  # valid targets per object
        possible = np.stack([move_targets.any(axis=1), in_box.any(axis=1),
                             (~in_box).any(axis=1) & room.any(axis=1)], axis=1)  # move, remove, put
        kind = np.argmax(np.where(possible, rng.random((n, 3)), -1), axis=1)
        weights = np.where((kind == 0)[:, None], move_targets, np.where((kind == 1)[:, None], in_box, ~in_box))
        cum = np.cumsum(weights, axis=1, dtype=np.int16)
        obj = (cum <= (rng.random(n) * cum[:, -1])[:, None]).sum(axis=1)  # weighted draw of the object
        src = places[rows, obj]
        targets = room & (np.arange(self.B) != src[:, None])
        dst = np.where(kind == 1, self.B, np.argmax(np.where(targets, rng.random((n, self.B)), -1), axis=1))
        return obj, src, dst

    def sample(self, rng: np.random.Generator, lengths: np.ndarray):
        lengths = np.asarray(lengths)
        n, width, rows = len(lengths), int(lengths.max(initial=0)), np.arange(len(lengths))
        query = rng.integers(0, self.B, size=n)
        places = self.initial_places(rng, n)
        preamble = np.concatenate([query[:, None], self.B + np.arange(self.O) * (self.B + 1) + places], axis=1)
        counts = np.stack([(places == b).sum(axis=1, dtype=np.int8) for b in range(self.B + 1)], axis=1)  # (N, B+1)
        ops, labels = np.empty((n, width), dtype=np.int64), np.empty((n, width), dtype=np.int64)
        for t in range(width):
            obj, src, dst = self.draw_operations(rng, places, counts)
            places[rows, obj] = dst
            counts[rows, src] -= 1  # one (row, place) pair per row: plain fancy indexing is exact
            counts[rows, dst] += 1
            ops[:, t] = self._op_base + (obj * (self.B + 1) + src) * self.B + dst - (dst > src)
            labels[:, t] = self.contents_class(places == query[:, None])
        return self.batch(preamble, ops, labels, lengths)

    def contents_class(self, members: np.ndarray) -> np.ndarray:
        """(N, O) membership -> class id: offset of the set's size + its colex rank (sum of C(o, j))."""
        j = np.cumsum(members, axis=1, dtype=np.int8)  # j-th member (1-based) at each member's column
        rank = np.where(members, self._binom[np.arange(self.O), np.minimum(j, self.cap + 1)], 0).sum(axis=1)
        return self._size_offset[members.sum(axis=1)] + rank

    def text_layout(self, input_ids) -> TextLayout:
        places = np.asarray(input_ids[1:self.preamble]) - self.B - np.arange(self.O) * (self.B + 1)
        boxes = ", ".join(f"Box {b} contains {contents_phrase(OBJECTS[o] for o in np.flatnonzero(places == b))}"
                          for b in range(self.B))
        return TextLayout(boxes + ".", [None] * self.preamble + [self.vocab[t] for t in input_ids[self.preamble:]],
                          f"Box {input_ids[0]} contains")

    def one_line(self) -> str:
        return f"{self.name:<12} text: objects moved between {self.B} boxes, what one box contains (Kim & Schuster)"

    def describe(self) -> str:
        return "\n".join([
            f"{self.name}: entity tracking in {self.B} boxes (Kim & Schuster 2023), {self.O} objects, at most "
            f"{self.cap} per box, {self.expected:g} expected per box initially",
            f"family: {self.family}; vocab: {self.B} query tokens, {self.O * (self.B + 1)} initial-place tokens, "
            f"{len(self.vocab) - self._op_base} operations (move, remove, put one object)",
            f"labels: the queried box's contents after each operation, {len(self.label_vocab)} classes (every set of "
            f"at most {self.cap} objects, written in the order of the object list); -100 on the preamble",
            "length: the number of operations. Deviations from the paper: one queried box per row, one object per "
            "operation, a fixed object list, answers in that list's order",
            f"example (length 3): {self.example(3)}",
        ])


register_task("boxes", BoxesTask)

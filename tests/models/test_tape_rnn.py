"""Tape-RNN: the batched layer against the per-example loop with permutation matrices (naive.py) in float64,
the update as a plain Python ring tape under hard actions, the jump distances, and padding on either side."""

import pytest
import torch

from hf_statetrack.models.tape_rnn import PRESET, TapeRNNLayer, jump_distances, tape_rnn_layer_reference

from .test_stack_rnn import compare_with_reference, float64_layer, random_inputs
from .tiny import check_padding_on_either_side


@pytest.mark.parametrize("num_tapes", [1, 2])
def test_batched_layer_matches_the_per_example_loop_in_float64(num_tapes):
    """Tape of 5 cells, jumps of 0..9 cells (wrapping round the ring more than once), a different one per row."""
    layer = float64_layer(PRESET, hidden_size=12, memory_cell_size=3, memory_size=5, num_tapes=num_tapes,
                          write_mlp_sizes=[6, 4])
    x, real = random_inputs(layer)
    distances = torch.randint(0, 10, real.shape, generator=torch.Generator().manual_seed(2))
    compare_with_reference(layer, tape_rnn_layer_reference, x, real, distances)


def test_hard_actions_write_then_move_the_head_round_the_ring():
    """One-hot actions on a ring of 5 cells: each step writes under the head, then the head stays, moves one
    cell or jumps by d (memory cell 0 is always the cell under the head); checked against a Python list."""
    layer = TapeRNNLayer.__new__(TapeRNNLayer)  # update() and prepare() read only memory_size
    layer.memory_size = size = 5
    moves = {"stay": 0, "left": -1, "right": 1, "jump_left": -3, "jump_right": 3}  # d = 3
    ops = ["right", "right", "jump_left", "left", "stay", "jump_right", "left", "right", "jump_left"]
    memory, tape, head = torch.zeros(1, 1, size, 1), [0.0] * size, 0
    gathered = layer.prepare(torch.tensor([[3]]))[:, 0]  # (1, 5*M): jump distance 3
    for t, op in enumerate(ops):
        actions = torch.zeros(1, 1, 5)
        actions[0, 0, list(moves).index(op)] = 1.0
        memory = layer.update(memory, actions, torch.full((1, 1, 1), float(t + 1)), gathered)
        tape[head] = float(t + 1)
        head = (head - moves[op]) % size  # "left" brings cell i+1 under the head: the head moves to +1
        assert memory.flatten().tolist() == [tape[(head + i) % size] for i in range(size)], (t, op)


def test_jump_distance_counts_the_input_tokens_read_so_far():
    """<blank> (id 2 of 4 here, -2 from the end) fills the output positions; pads (mask 0) do not count."""
    ids = torch.tensor([[0, 1, 1, 2, 2, 2, 3], [1, 0, 2, 2, 3, 3, 3]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0, 0]])
    assert jump_distances(ids, mask.bool(), -2, 4).tolist() == [[1, 2, 3, 3, 3, 3, 3], [1, 2, 2, 2, 2, 2, 2]]
    assert jump_distances(ids, None, None, 4).tolist() == [list(range(1, 8))] * 2


def test_left_and_right_padding_leave_real_positions_exact():
    check_padding_on_either_side(PRESET)

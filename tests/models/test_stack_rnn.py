"""Stack-RNN: the batched layer against the per-example, per-cell loop of naive.py in float64 (values and
gradients), the update as a plain Python stack under hard actions, and padding on either side."""

import pytest
import torch

from hf_statetrack.models.stack_rnn import PRESET, StackRNNLayer, stack_rnn_layer_reference

from .tiny import assert_same_values_and_gradients, check_padding_on_either_side


def float64_layer(preset, seed=0, **knobs):
    """Layer 0 of a float64 model with the given knobs, its input width and a mask with right and left pads."""
    torch.manual_seed(seed)
    model = preset.model_class(preset(vocab_size=7, num_labels=5, **knobs)).double()
    return model.model.layers[0]


def random_inputs(layer, batch=3, length=9, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, length, layer.input_proj.in_features, generator=g, dtype=torch.float64)
    real = torch.ones(batch, length, dtype=torch.bool)
    real[1, -3:] = False  # right padding
    real[2, :2] = False  # left padding
    return x.requires_grad_(), real


def compare_with_reference(layer, reference, x, real, *extra):
    params = dict(layer.named_parameters())
    got = layer(x, real, *extra)
    rows = [reference(layer, x[b], real[b], *(e[b] for e in extra)) for b in range(len(x))]
    assert_same_values_and_gradients(got, torch.stack(rows), [x, *params.values()], " ".join(["x", *params]))


@pytest.mark.parametrize("num_stacks", [1, 2])
def test_batched_layer_matches_the_per_example_loop_in_float64(num_stacks):
    """Depth 4 over 9 steps: pushes fall off the bottom and pops reach the zero below it."""
    layer = float64_layer(PRESET, hidden_size=12, stack_cell_size=3, stack_size=4, num_stacks=num_stacks)
    compare_with_reference(layer, stack_rnn_layer_reference, *random_inputs(layer))


def test_hard_actions_make_a_bounded_stack():
    """One-hot actions: push puts v on top (the bottom cell falls off at depth 3), pop takes the top off (a zero
    comes in below), no-op keeps it; checked cell by cell against a Python list."""
    layer = StackRNNLayer.__new__(StackRNNLayer)  # update() reads nothing from the layer
    depth, ops = 3, ["push", "push", "noop", "push", "push", "pop", "pop", "pop", "pop", "push", "noop", "pop"]
    memory, stack = torch.zeros(1, 1, depth, 1), []
    for t, op in enumerate(ops):
        actions = torch.zeros(1, 1, 3)
        actions[0, 0, ["push", "pop", "noop"].index(op)] = 1.0
        memory = layer.update(memory, actions, torch.full((1, 1, 1), float(t + 1)))
        if op == "push":
            stack = [float(t + 1), *stack][:depth]
        elif op == "pop":
            stack = stack[1:]
        assert memory.flatten().tolist() == stack + [0.0] * (depth - len(stack)), (t, op)


def test_left_and_right_padding_leave_real_positions_exact():
    check_padding_on_either_side(PRESET)

"""Configuration of the Stack-RNN of Delétang et al. 2023 (after Joulin & Mikolov 2015).

>>> config = StackRNNConfig(vocab_size=6, num_labels=6, hidden_size=32, stack_size=10)
>>> config.num_hidden_layers, config.memory_shape, config.model_type
(1, (1, 10, 8), 'statetrack_stack_rnn')

Imports only transformers, so that a saved checkpoint loads without hf_statetrack (remote code).
"""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig


@strict
class StackRNNConfig(PreTrainedConfig):
    """An Elman-RNN controller (tanh, width hidden_size) with num_stacks differentiable stacks per layer.

    Each stack holds stack_size cells of stack_cell_size numbers; what is pushed below the bottom cell is
    lost (a bounded depth). Defaults are DeepMind's (hidden 256 in its example; stack_size 30 is its
    StackRNNCore default; cells of 8 as in its example's memory_cell_size). num_hidden_layers > 1 stacks
    such layers, each with its own stacks (DeepMind uses one). dropout applies to the embeddings and to
    the output of every layer.
    """

    model_type = "statetrack_stack_rnn"
    attribute_map = {"num_layers": "num_hidden_layers"}

    vocab_size: int = 32
    hidden_size: int = 256
    num_hidden_layers: int = 1
    stack_cell_size: int = 8
    stack_size: int = 30
    num_stacks: int = 1
    dropout: float | int = 0.0

    @property
    def memory_shape(self) -> tuple[int, int, int]:
        """(memories per layer, cells per memory, numbers per cell)."""
        return self.num_stacks, self.stack_size, self.stack_cell_size

    def validate_architecture(self):
        if self.stack_size < 2 or self.stack_cell_size < 1 or self.num_stacks < 1:
            raise ValueError(f"Stack-RNN needs stack_size >= 2, stack_cell_size >= 1 and num_stacks >= 1, got "
                             f"{self.stack_size}, {self.stack_cell_size}, {self.num_stacks}")


def state_size_per_layer(config) -> list[int]:
    """Stack-RNN: the controller's hidden state plus stacks x cells x cell width per layer"""
    stacks, cells, width = config.memory_shape
    return [config.hidden_size + stacks * cells * width] * config.num_hidden_layers

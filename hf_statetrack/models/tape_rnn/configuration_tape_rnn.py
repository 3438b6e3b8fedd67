"""Configuration of the Tape-RNN of Delétang et al. 2023.

>>> config = TapeRNNConfig(vocab_size=6, num_labels=6, hidden_size=32)
>>> config.memory_shape, config.write_mlp_sizes, config.model_type
((1, 40, 8), (64, 64), 'statetrack_tape_rnn')
"""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from ..stack_rnn.configuration_stack_rnn import state_size_per_layer as stack_rnn_state


@strict
class TapeRNNConfig(PreTrainedConfig):
    """An Elman-RNN controller (tanh, width hidden_size) with num_tapes circular tapes per layer.

    Each tape holds memory_size cells of memory_cell_size numbers; the value written is an MLP of the
    controller state (hidden layers write_mlp_sizes, ReLU; [] = one linear layer). The jump actions move
    by the number of input tokens read so far: real tokens other than the id blank_token, the token that fills
    the output positions (DeepMind's empty-output token). A negative blank_token counts from the end of
    the vocabulary: -2 (default) is <blank> of every Chomsky-hierarchy task in hf_statetrack's pipeline,
    which sizes the vocabulary as the task's tokens (<blank> last) plus one padding id; None counts every
    token. Defaults are DeepMind's example (hidden 256, memory_size 40, cells of 8, MLP 64-64).
    """

    model_type = "statetrack_tape_rnn"
    attribute_map = {"num_layers": "num_hidden_layers"}

    vocab_size: int = 32
    hidden_size: int = 256
    num_hidden_layers: int = 1
    memory_cell_size: int = 8
    memory_size: int = 40
    num_tapes: int = 1
    write_mlp_sizes: list[int] | tuple[int, ...] = (64, 64)
    blank_token: int | None = -2
    dropout: float | int = 0.0

    @property
    def memory_shape(self) -> tuple[int, int, int]:
        """(memories per layer, cells per memory, numbers per cell)."""
        return self.num_tapes, self.memory_size, self.memory_cell_size

    def validate_architecture(self):
        if self.memory_size < 2 or self.memory_cell_size < 1 or self.num_tapes < 1:
            raise ValueError(f"Tape-RNN needs memory_size >= 2, memory_cell_size >= 1 and num_tapes >= 1, got "
                             f"{self.memory_size}, {self.memory_cell_size}, {self.num_tapes}")
        if any(not isinstance(n, int) or n < 1 for n in self.write_mlp_sizes):
            raise ValueError(f"write_mlp_sizes must be positive integers, got {list(self.write_mlp_sizes)}")
        if self.blank_token is not None and not -self.vocab_size <= self.blank_token < self.vocab_size:
            raise ValueError(f"blank_token {self.blank_token} is outside the vocabulary of {self.vocab_size} "
                             "ids (negative counts from the end); None counts every token as input")


def state_size_per_layer(config: TapeRNNConfig) -> list[int]:
    """Tape-RNN: the controller's hidden state plus tapes x cells x cell width per layer (the count of input
    tokens read, one number all layers share for the jumps, is not counted)"""
    return stack_rnn_state(config)

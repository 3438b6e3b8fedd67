"""The Tape-RNN of Delétang et al. 2023 (preset "tape_rnn"), registered with the Auto classes.

Checkpoints load with hf_statetrack installed (the modeling code builds on stack_rnn/, so it is not copied as
remote code). `PRESET` is registered here.
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..preset_spec import Preset, register_preset
from .configuration_tape_rnn import TapeRNNConfig, state_size_per_layer
from .modeling_tape_rnn import TapeRNNForTokenClassification, TapeRNNLayer, TapeRNNModel, jump_distances
from .naive import tape_rnn_layer_reference

AutoConfig.register(TapeRNNConfig.model_type, TapeRNNConfig, exist_ok=True)
AutoModel.register(TapeRNNConfig, TapeRNNModel, exist_ok=True)
AutoModelForTokenClassification.register(TapeRNNConfig, TapeRNNForTokenClassification, exist_ok=True)


def tape_rnn(num_layers=1, hidden_size=256, dropout=0.0, memory_cell_size=8, memory_size=40, num_tapes=1):
    """Elman RNN (tanh) with a differentiable circular tape of memory_size cells of memory_cell_size numbers;
    each step writes (an MLP of widths write_mlp_sizes, default 64-64) and then stays, moves one cell or jumps
    by the number of input tokens read so far (not counting blank_token, default -2: <blank>), by softmax;
    Delétang et al. 2023; the defaults are DeepMind's example."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout,
                memory_cell_size=memory_cell_size, memory_size=memory_size, num_tapes=num_tapes)


# a tanh RNN (with or without its tape) tracks any finite group in one layer; no linear state transition
PRESET = Preset(name="tape_rnn", knobs_to_config=tape_rnn, config_class=TapeRNNConfig,
                model_class=TapeRNNForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, memory_cell_size=4, memory_size=6, write_mlp_sizes=[8]),
                recurrent=True, eigenvalues=None, loads_without_package=False,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "TapeRNNConfig", "TapeRNNForTokenClassification", "TapeRNNLayer", "TapeRNNModel",
           "jump_distances", "tape_rnn", "tape_rnn_layer_reference"]

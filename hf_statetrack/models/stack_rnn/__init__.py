"""The Stack-RNN of Delétang et al. 2023 (preset "stack_rnn"), registered with the Auto classes.

`register_for_auto_class` makes `save_pretrained` copy modeling_stack_rnn.py, configuration_stack_rnn.py and
tagging_head.py (a link to models/tagging_head.py) next to the weights and write `auto_map`, so checkpoints load
without hf_statetrack (trust_remote_code=True).
`PRESET` is registered here.
"""

from transformers import AutoConfig, AutoModel, AutoModelForTokenClassification

from ..preset_spec import Preset, register_preset
from .configuration_stack_rnn import StackRNNConfig, state_size_per_layer
from .modeling_stack_rnn import MemoryRNNLayer, StackRNNForTokenClassification, StackRNNLayer, StackRNNModel
from .naive import stack_rnn_layer_reference

AutoConfig.register(StackRNNConfig.model_type, StackRNNConfig, exist_ok=True)
AutoModel.register(StackRNNConfig, StackRNNModel, exist_ok=True)
AutoModelForTokenClassification.register(StackRNNConfig, StackRNNForTokenClassification, exist_ok=True)
StackRNNConfig.register_for_auto_class()
StackRNNModel.register_for_auto_class("AutoModel")
StackRNNForTokenClassification.register_for_auto_class("AutoModelForTokenClassification")


def stack_rnn(num_layers=1, hidden_size=256, dropout=0.0, stack_cell_size=8, stack_size=30, num_stacks=1):
    """Elman RNN (tanh) with a differentiable stack (push/pop/no-op by softmax) of stack_size cells of
    stack_cell_size numbers, Delétang et al. 2023; the defaults are DeepMind's."""
    return dict(num_hidden_layers=num_layers, hidden_size=hidden_size, dropout=dropout,
                stack_cell_size=stack_cell_size, stack_size=stack_size, num_stacks=num_stacks)


# a tanh RNN (with or without its stack) tracks any finite group in one layer; no linear state transition
PRESET = Preset(name="stack_rnn", knobs_to_config=stack_rnn, config_class=StackRNNConfig,
                model_class=StackRNNForTokenClassification,
                tiny=dict(num_layers=2, hidden_size=16, stack_cell_size=4, stack_size=6),
                recurrent=True, eigenvalues=None, loads_without_package=True,
                state_size=state_size_per_layer)
register_preset(PRESET)

__all__ = ["PRESET", "MemoryRNNLayer", "StackRNNConfig", "StackRNNForTokenClassification", "StackRNNLayer",
           "StackRNNModel", "stack_rnn", "stack_rnn_layer_reference"]

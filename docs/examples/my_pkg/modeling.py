"""Your own transformers-style model for hf_statetrack: a config and a base model, registered with the Auto
classes when this module is imported.

    model: {architecture: my_gru, import: my_pkg.modeling, num_layers: 2, hidden_size: 64}
"""

from torch import nn
from transformers import AutoConfig, AutoModel, PreTrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput


class MyGRUConfig(PreTrainedConfig):
    model_type = "my_gru"

    def __init__(self, vocab_size=32, hidden_size=64, num_hidden_layers=2, **kwargs):
        self.vocab_size, self.hidden_size, self.num_hidden_layers = vocab_size, hidden_size, num_hidden_layers
        super().__init__(**kwargs)


class MyGRUModel(PreTrainedModel):
    config_class = MyGRUConfig

    def __init__(self, config: MyGRUConfig):
        super().__init__(config)
        self.embed = nn.Embedding(config.vocab_size, config.hidden_size)
        self.rnn = nn.GRU(config.hidden_size, config.hidden_size, config.num_hidden_layers, batch_first=True)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, **kwargs) -> BaseModelOutput:
        hidden, _ = self.rnn(self.embed(input_ids))  # (B, T, hidden_size)
        return BaseModelOutput(last_hidden_state=hidden)

    def state_size(self) -> list[int]:
        """GRU: h per layer."""
        return [self.config.hidden_size] * self.config.num_hidden_layers


AutoConfig.register(MyGRUConfig.model_type, MyGRUConfig)
AutoModel.register(MyGRUConfig, MyGRUModel)

"""Your own PyTorch module for hf_statetrack: input ids (B, T) -> hidden states (B, T, hidden_size).

    model: {module: "my_pkg.models:MyNet", num_layers: 2, hidden_size: 64}
"""

import torch
from torch import nn


class MyNet(nn.Module):
    """Token embeddings, then a stack of GRU layers."""

    def __init__(self, vocab_size: int, hidden_size: int, num_layers: int, dropout: float = 0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, hidden_size)
        self.rnn = nn.GRU(hidden_size, hidden_size, num_layers, batch_first=True, dropout=dropout)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        hidden, _ = self.rnn(self.embed(input_ids))  # (B, T, hidden_size)
        return hidden

    def state_size(self) -> list[int]:
        """GRU: h per layer."""
        return [self.rnn.hidden_size] * self.rnn.num_layers

"""init_weights scaling o_proj and fc2 by 1/sqrt(n_layer) instead of 1/sqrt(2 n_layer).

Each block has two residual branches, and counting blocks instead of branches drops the 2.
"""

import math

import torch
from torch import nn

TASK = "4.6"
KIND = "mutant"


class GPT:
    def init_weights(self) -> None:
        """Set every weight of the model to its starting value (called by ``__init__``)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (TokenEmbedding, LearnedPositionalEmbedding)):
                nn.init.xavier_uniform_(module.weight)
            elif isinstance(module, LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        residual_scale = 1.0 / math.sqrt(self.config.n_layer)
        with torch.no_grad():
            for block in self.blocks:
                block.attn.o_proj.weight.mul_(residual_scale)
                block.ffn.fc2.weight.mul_(residual_scale)

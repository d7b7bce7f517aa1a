"""init_weights with Xavier normal (std sqrt(2 / (fan_in + fan_out))) instead of Xavier uniform.

Both are "Glorot initialisation", and nn.init offers the normal one right beside the uniform one.
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
                nn.init.xavier_normal_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (TokenEmbedding, LearnedPositionalEmbedding)):
                nn.init.xavier_normal_(module.weight)
            elif isinstance(module, LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        residual_scale = 1.0 / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for block in self.blocks:
                block.attn.o_proj.weight.mul_(residual_scale)
                block.ffn.fc2.weight.mul_(residual_scale)

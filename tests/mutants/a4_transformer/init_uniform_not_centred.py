"""init_weights drawing matrices by hand as torch.rand * a: U(0, a) instead of U(-a, a).

torch.rand gives [0, 1), and the "* 2 - 1" that centres it is easy to forget.
"""

import math

import torch
from torch import nn

TASK = "4.6"
KIND = "mutant"


def _xavier_by_hand(weight: torch.Tensor) -> None:
    rows, columns = weight.shape
    bound = math.sqrt(6.0 / (rows + columns))
    with torch.no_grad():
        weight.copy_(torch.rand_like(weight) * bound)


class GPT:
    def init_weights(self) -> None:
        """Set every weight of the model to its starting value (called by ``__init__``)."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                _xavier_by_hand(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (TokenEmbedding, LearnedPositionalEmbedding)):
                _xavier_by_hand(module.weight)
            elif isinstance(module, LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        residual_scale = 1.0 / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for block in self.blocks:
                block.attn.o_proj.weight.mul_(residual_scale)
                block.ffn.fc2.weight.mul_(residual_scale)

"""init_weights that initialises pos_emb.weight unconditionally: a sinusoidal GPT has none and crashes.

The default config has a learned table, so the sinusoidal case is never tried.
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
            elif isinstance(module, LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.xavier_uniform_(self.tok_emb.weight)
        nn.init.xavier_uniform_(self.pos_emb.weight)
        residual_scale = 1.0 / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for block in self.blocks:
                block.attn.o_proj.weight.mul_(residual_scale)
                block.ffn.fc2.weight.mul_(residual_scale)

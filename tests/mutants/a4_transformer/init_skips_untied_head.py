"""init_weights that visits the embeddings, the blocks and ln_f by name, and forgets an untied lm_head.

With tied weights lm_head is the token table, so it seems done already; untied, it keeps nn.Linear's default init.
"""

import math

import torch
from torch import nn

TASK = "4.6"
KIND = "mutant"


class GPT:
    def init_weights(self) -> None:
        """Set every weight of the model to its starting value (called by ``__init__``)."""
        nn.init.xavier_uniform_(self.tok_emb.weight)
        if isinstance(self.pos_emb, LearnedPositionalEmbedding):
            nn.init.xavier_uniform_(self.pos_emb.weight)
        for module in [*self.blocks.modules(), self.ln_f]:
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        residual_scale = 1.0 / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for block in self.blocks:
                block.attn.o_proj.weight.mul_(residual_scale)
                block.ffn.fc2.weight.mul_(residual_scale)

"""init_weights walking named_parameters: matrices Xavier, biases 0, other vectors 1, residual scale by name.

Every matrix of this GPT (Linear weights, embedding tables) follows the same Xavier law, so one pass over the parameters suffices.
"""

import math

import torch
from torch import nn

TASK = "4.6"
KIND = "alternative"


class GPT:
    def init_weights(self) -> None:
        """Set every weight of the model to its starting value (called by ``__init__``)."""
        residual_scale = 1.0 / math.sqrt(2 * self.config.n_layer)
        with torch.no_grad():
            for name, parameter in self.named_parameters():
                if parameter.dim() == 2:
                    rows, columns = parameter.shape
                    bound = math.sqrt(6.0 / (rows + columns))
                    if name.endswith(("attn.o_proj.weight", "ffn.fc2.weight")):
                        bound *= residual_scale
                    nn.init.uniform_(parameter, -bound, bound)
                elif name.endswith("bias"):
                    nn.init.zeros_(parameter)
                else:
                    nn.init.ones_(parameter)

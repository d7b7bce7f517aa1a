"""FeedForward calling F.dropout(x, p) without training=self.training: dropout stays on in eval mode.

F.dropout's training argument defaults to True, unlike the nn.Dropout module, which follows the mode.
"""

import torch
import torch.nn.functional as F

TASK = "4.3"
KIND = "mutant"


class FeedForward:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the MLP to ``x`` of shape ``(B, T, d_model)``; returns the same shape."""
        hidden = gelu(self.fc1(x))  # (B, T, d_ff)
        return F.dropout(self.fc2(hidden), self.dropout.p)  # (B, T, d_model)

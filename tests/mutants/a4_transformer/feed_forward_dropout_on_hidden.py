"""FeedForward that drops hidden units (after GELU) instead of the output of fc2.

Dropout between the layers of an MLP is the classic placement from older courses.
"""

import torch

TASK = "4.3"
KIND = "mutant"


class FeedForward:
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the MLP to ``x`` of shape ``(B, T, d_model)``; returns the same shape."""
        hidden = self.dropout(gelu(self.fc1(x)))  # (B, T, d_ff)
        return self.fc2(hidden)  # (B, T, d_model)

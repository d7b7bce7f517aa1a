"""FeedForward that always widens to 4 * d_model, ignoring the d_ff it is given.

The docstring's "4 * d_model, as in GPT-2" is read as the rule rather than the default.
"""

from torch import nn

TASK = "4.3"
KIND = "mutant"


class FeedForward:
    def __init__(self, d_model: int, d_ff: int | None = None, dropout: float = 0.0) -> None:
        super().__init__()
        d_ff = 4 * d_model
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

"""apply_temperature multiplies by 1 / t instead of dividing by t: the same up to one rounding.

Multiplying by a reciprocal is the habit of people who learned that division is slow.
"""

import torch

TASK = "6.2"
KIND = "alternative"


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Rescale logits by 1 / temperature, as a product."""
    if not temperature > 0:
        raise ValueError(f"temperature={temperature} must be > 0")
    inverse_temperature = 1.0 / temperature
    return logits * inverse_temperature

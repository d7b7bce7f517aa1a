"""apply_temperature returns log_softmax(logits / t): normalised log-probabilities, not the scaled logits.

Sampling from either gives the same distribution, so a student may think normalising here is harmless.
"""

import torch

TASK = "6.2"
KIND = "mutant"


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Rescale logits by 1 / temperature (bug: then normalised with log_softmax)."""
    if not temperature > 0:
        raise ValueError(f"temperature={temperature} must be > 0")
    return torch.log_softmax(logits / temperature, dim=-1)

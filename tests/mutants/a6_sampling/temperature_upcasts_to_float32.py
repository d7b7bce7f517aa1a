"""apply_temperature divides in float32 whatever the input's dtype: bfloat16 and float64 logits change dtype.

.float() "to be safe" is a common reflex before any arithmetic on logits.
"""

import torch

TASK = "6.2"
KIND = "mutant"


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Rescale logits by 1 / temperature (bug: the result is float32)."""
    if not temperature > 0:
        raise ValueError(f"temperature={temperature} must be > 0")
    return logits.float() / temperature

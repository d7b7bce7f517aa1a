"""Choosing where training runs and which speed-ups that device supports."""

from __future__ import annotations

import torch

from .errors import CourseError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(requested: str = "auto") -> str:
    """The torch device string to train on.

    ``auto`` picks CUDA, then Apple's MPS, then the CPU. Asking for a device
    this machine does not have is a CourseError that says what is available.
    """
    if requested not in DEVICE_CHOICES:
        raise CourseError(f"unknown device {requested!r}; choose one of: {', '.join(DEVICE_CHOICES)}")
    available = available_devices()
    if requested == "auto":
        return available[0]
    if requested not in available:
        raise CourseError(f"device {requested!r} is not available on this machine (available: {', '.join(available)})")
    return requested


def available_devices() -> list[str]:
    """Usable devices, fastest first; always ends with ``cpu``."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def autocast_dtype_for(device: str) -> str | None:
    """Mixed precision to use on ``device``: bf16 on GPUs that support it, else none.

    bf16 keeps float32's exponent range, so unlike fp16 it needs no loss scaling.
    """
    if device == "cuda" and torch.cuda.is_bf16_supported():
        return "bfloat16"
    return None

"""Where to compute: CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch


def try_device() -> torch.device:
    """Return the best available device: CUDA, then MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")

"""Seed every random number generator a lesson uses."""

from __future__ import annotations

import random

import numpy as np
import torch


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy and PyTorch (all devices) with ``seed``.

    Raises:
        TypeError: ``seed`` is not an int.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    # Lessons use NumPy's global generator (np.random.rand ...), so seed that one.
    np.random.seed(seed)  # noqa: NPY002
    torch.manual_seed(seed)

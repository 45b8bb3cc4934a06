"""device.try_device and seed.set_seed."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from attn_course import set_seed, try_device


def test_cpu_when_nothing_else(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert try_device() == torch.device("cpu")


def test_cuda_first_then_mps(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert try_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert try_device().type == "mps"


def draw():
    return random.random(), np.random.rand(), torch.rand(1).item()  # noqa: NPY002


def test_set_seed_makes_every_generator_repeat():
    set_seed(7)
    first = draw()
    set_seed(7)
    assert draw() == first
    set_seed(8)
    assert draw() != first


@pytest.mark.parametrize("seed", ["0", 1.5, True])
def test_set_seed_rejects_non_integers(seed):
    with pytest.raises(TypeError, match="seed must be an int"):
        set_seed(seed)

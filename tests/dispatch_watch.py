"""Dispatch modes the tests of lessons 10 and 11 share: what the operations inside a block make.

- ``DeviceWatch``: the device of every tensor an operation reads or makes, so that a tensor made on
  the CPU by mistake shows up beside meta inputs.
- ``ShapeWatch``: the shape of every tensor an operation makes, so that a test can say which sizes
  a computation never holds.
"""

from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class DeviceWatch(TorchDispatchMode):
    """Records the device of every tensor an operation reads or makes (0-dim CPU scalars aside)."""

    def __init__(self):
        super().__init__()
        self.devices = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for tensor in tree_flatten((args, kwargs, result))[0]:
            if isinstance(tensor, torch.Tensor) and not (tensor.device.type == "cpu"
                                                         and tensor.dim() == 0):
                self.devices.add(tensor.device.type)
        return result


class ShapeWatch(TorchDispatchMode):
    """Records the shapes of every tensor the operations inside create."""

    def __init__(self):
        super().__init__()
        self.shapes = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        for tensor in result if isinstance(result, (tuple, list)) else [result]:
            if isinstance(tensor, torch.Tensor):
                self.shapes.append(tuple(tensor.shape))
        return result

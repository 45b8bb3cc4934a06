"""Peak tensor memory of a computation, counted the same way on every machine.

A measuring helper of lesson 10 (not taught code): ``PeakMemory`` is a
``TorchDispatchMode`` that sees the outputs of every operation run inside its
``with`` block, forward and backward passes alike, and adds up the bytes of
the storages still alive. A tensor that autograd saves for the backward pass
stays alive until then, so it is counted. The allocator's caches are not, so
the count depends on the computation only, not on the machine.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class PeakMemory(TorchDispatchMode):
    """Bytes of the tensors created inside the block that are still alive (``live``), at most
    (``peak``)."""

    def __init__(self) -> None:
        super().__init__()
        self.live, self.peak, self.seen = 0, 0, set()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        result = func(*args, **(kwargs or {}))
        outputs = result if isinstance(result, (tuple, list)) else [result]
        for tensor in outputs:
            if isinstance(tensor, torch.Tensor):
                storage = tensor.untyped_storage()
                if storage.data_ptr() not in self.seen and storage.nbytes():
                    self.seen.add(storage.data_ptr())
                    self.live += storage.nbytes()
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(storage, self.free, storage.data_ptr(), storage.nbytes())
        return result

    def free(self, address: int, nbytes: int) -> None:
        """Called when a counted storage is freed: it no longer counts."""
        self.live -= nbytes
        self.seen.discard(address)

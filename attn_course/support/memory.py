"""Peak tensor memory of a computation, counted the same way on every machine.

A measuring helper of lesson 10 (not taught code): ``PeakMemory`` is a
``TorchDispatchMode`` that sees the outputs of every operation run inside its
``with`` block, forward and backward passes alike, and adds up the bytes of
the storages still alive. A tensor that autograd saves for the backward pass
stays alive until then, so it is counted. An output that shares the storage of
one of the operation's inputs (a view: a transpose, a slice, an expand) is not new
memory and is not counted, so the tensors made before the block (queries, keys,
values, the upstream gradient) never are. The allocator's caches are not counted
either, so the count depends on the computation only, not on the machine.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


class PeakMemory(TorchDispatchMode):
    """Bytes of the tensors created inside the block that are still alive (``live``), at most
    (``peak``)."""

    def __init__(self) -> None:
        super().__init__()
        self.live, self.peak, self.seen = 0, 0, set()

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        result = func(*args, **(kwargs or {}))
        inputs = {
            t.untyped_storage().data_ptr()
            for t in tree_flatten((args, kwargs))[0]
            if isinstance(t, torch.Tensor)
        }
        outputs = result if isinstance(result, (tuple, list)) else [result]
        for tensor in outputs:
            if isinstance(tensor, torch.Tensor):
                storage = tensor.untyped_storage()
                address = storage.data_ptr()
                if address not in self.seen and address not in inputs and storage.nbytes():
                    self.seen.add(storage.data_ptr())
                    self.live += storage.nbytes()
                    self.peak = max(self.peak, self.live)
                    weakref.finalize(storage, self.free, storage.data_ptr(), storage.nbytes())
        return result

    def free(self, address: int, nbytes: int) -> None:
        """Called when a counted storage is freed: it no longer counts."""
        self.live -= nbytes
        self.seen.discard(address)

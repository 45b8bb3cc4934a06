"""Deprecated: what lesson 10's modules import (tiling, gqa and rotary).

The other lessons call one check of ``attn_course.support.validation`` first
in each entry point. Lesson 10 still decorates its entry points with
``validated``, whose validators take the decorated function's arguments.
Delete this file when lesson 10 is converted.
"""

from __future__ import annotations

import contextvars
import functools
import inspect

import torch

from attn_course.support.validation import (
    check_attention,
    check_multihead_inputs,
    check_sizes,
    check_valid_lens,
)

_inside_checked_call = contextvars.ContextVar(
    "inside_checked_call", default=False
)


def validated(check):
    """Deprecated: run ``check`` on the arguments of the outermost call."""

    def decorate(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def checked(*args, **kwargs):
            if _inside_checked_call.get() or torch.compiler.is_compiling():
                return function(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            check(*bound.args, **bound.kwargs)
            token = _inside_checked_call.set(True)
            try:
                return function(*args, **kwargs)
            finally:
                _inside_checked_call.reset(token)

        return checked

    return decorate


def _check_lens(valid_lens, queries, keys):
    """valid_lens (batch,) or (batch, queries), each in [0, keys]."""
    shapes = {tuple(queries.shape[:1]), tuple(queries.shape[:2])}
    if tuple(getattr(valid_lens, "shape", ())) not in shapes:
        raise ValueError(f"valid_lens must have a shape of {shapes}")
    check_valid_lens(valid_lens, keys.shape[1])


def check_tiled_attention(
    queries, keys, values, block_size, valid_lens=None, causal=False
):
    """``tiled_attention``: 3-D float tensors, one size d, block size >= 1."""
    check_attention(queries, keys, values)
    if queries.shape[-1] != keys.shape[-1]:
        shapes = f"{tuple(queries.shape)} and {tuple(keys.shape)}"
        raise ValueError(f"queries and keys need the same d, got {shapes}")
    check_sizes(block_size=block_size)
    if valid_lens is not None:
        _check_lens(valid_lens, queries, keys)


def check_rotary_input(X, positions=None):
    """``apply_rotary``: X (batch, steps, d), d even; positions (steps,) or
    (batch, steps)."""
    if not isinstance(X, torch.Tensor) or not X.is_floating_point():
        got = getattr(X, "dtype", type(X).__name__)
        raise TypeError(f"X must be a floating-point tensor, got {got}")
    if X.dim() != 3:
        shape = tuple(X.shape)
        raise ValueError(f"X must have 3 dimensions, got shape {shape}")
    if X.shape[-1] % 2:
        raise ValueError(
            "X must have an even number of features (they are rotated in "
            f"pairs), got shape {tuple(X.shape)}"
        )
    if positions is not None and not isinstance(positions, torch.Tensor):
        got = type(positions).__name__
        raise TypeError(f"positions must be a tensor, got {got}")
    shapes = (X.shape[1:2], X.shape[:2])
    if positions is not None and positions.shape not in shapes:
        shape = tuple(positions.shape)
        expected = "(steps,) or (batch, steps)"
        raise ValueError(f"positions must be {expected}, got {shape}")


def check_grouped_query_attention(
    self, num_hiddens, num_heads, num_kv_heads, dropout=0.0, bias=False
):
    """``GroupedQueryAttention``: heads divide num_hiddens, kv heads heads."""
    sizes = {"num_hiddens": num_hiddens, "num_heads": num_heads}
    check_sizes(num_kv_heads=num_kv_heads, dropout=dropout, **sizes)
    if num_hiddens % num_heads or num_heads % num_kv_heads:
        raise ValueError(
            f"num_heads ({num_heads}) must divide num_hiddens "
            f"({num_hiddens}) and num_kv_heads ({num_kv_heads}) num_heads"
        )


def check_grouped_query_inputs(
    self, queries, keys, values, valid_lens=None, causal=False
):
    """``GroupedQueryAttention.forward``: (batch, steps, num_hiddens) each."""
    check_multihead_inputs(self, queries, keys, values, None)
    if valid_lens is not None:
        _check_lens(valid_lens, queries, keys)

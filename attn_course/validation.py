"""Input checks shared by every module of attn_course.

Each check raises ``TypeError`` (wrong kind or dtype) or ``ValueError``
(wrong shape or value) with a message that names what was expected, so a
mistake surfaces as a clear error instead of a silent wrong answer or a NaN.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import torch

F = TypeVar("F", bound=Callable[..., Any])
_inside_checked_call = contextvars.ContextVar("inside_checked_call", default=False)


def validated(check: Callable[..., None]) -> Callable[[F], F]:
    """Decorate a public entry point so that ``check`` sees its arguments first.

    ``check`` takes the same arguments as the function (``self`` included for
    a method, defaults filled in) and raises ``TypeError`` or ``ValueError``.
    It runs only at the outermost checked call: a checked function called by
    another one (``masked_softmax`` inside ``MultiHeadAttention.forward``)
    does not check again, so the validation is never repeated down the chain.
    """

    def decorate(function: F) -> F:
        signature = inspect.signature(function)

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if _inside_checked_call.get():
                return function(*args, **kwargs)
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            check(*bound.args, **bound.kwargs)
            token = _inside_checked_call.set(True)
            try:
                return function(*args, **kwargs)
            finally:
                _inside_checked_call.reset(token)

        return checked  # type: ignore[return-value]

    return decorate

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def check_float_tensor(name: str, X: object, ndim: int | None = None) -> None:
    """Check that ``X`` is a floating-point tensor with ``ndim`` dimensions.

    Raises:
        TypeError: ``X`` is not a tensor, or not of a floating-point dtype.
        ValueError: ``X`` does not have ``ndim`` dimensions.
    """
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(X).__name__}")
    if X.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {X.dtype}")
    if ndim is not None and X.dim() != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions, got shape {tuple(X.shape)}"
        )


def check_valid_lens(
    valid_lens: object, batch_size: int, num_queries: int | None, max_len: int
) -> None:
    """Check a tensor of valid lengths.

    Args:
        valid_lens: integer tensor of shape (batch_size,), or of shape
            (batch_size, num_queries) when ``num_queries`` is given.
        batch_size: the number of sequences.
        num_queries: the number of query rows, or None if only the 1-D
            form is allowed.
        max_len: the largest allowed length (the number of keys or steps).

    Raises:
        TypeError: ``valid_lens`` is not an integer tensor.
        ValueError: its shape does not fit, or a length is negative or
            larger than ``max_len``.
    """
    if not isinstance(valid_lens, torch.Tensor):
        raise TypeError(
            f"valid_lens must be a torch.Tensor of integers, got {type(valid_lens).__name__}"
        )
    if valid_lens.dtype.is_floating_point or valid_lens.dtype.is_complex or (
        valid_lens.dtype == torch.bool
    ):
        raise TypeError(f"valid_lens must be an integer tensor, got dtype {valid_lens.dtype}")
    allowed = [(batch_size,)]
    if num_queries is not None:
        allowed.append((batch_size, num_queries))
    if tuple(valid_lens.shape) not in allowed:
        expected = " or ".join(str(shape) for shape in allowed)
        raise ValueError(
            f"valid_lens must have shape {expected}, got {tuple(valid_lens.shape)}"
        )
    if valid_lens.numel() and int(valid_lens.min()) < 0:
        raise ValueError(f"valid_lens must not be negative, got {valid_lens.tolist()}")
    if valid_lens.numel() and int(valid_lens.max()) > max_len:
        raise ValueError(
            f"valid_lens must be at most {max_len} (the sequence length), "
            f"got {valid_lens.tolist()}"
        )


def check_attention_inputs(queries: object, keys: object, values: object) -> None:
    """Check queries (batch, queries, d_q), keys (batch, keys, d_k), values (batch, keys, d_v).

    Only the batch sizes and the number of keys and values must agree; the
    feature sizes are checked by each scoring function.

    Raises:
        TypeError: an argument is not a floating-point tensor.
        ValueError: an argument is not 3-D, or the sizes do not fit.
    """
    check_float_tensor("queries", queries, ndim=3)
    check_float_tensor("keys", keys, ndim=3)
    check_float_tensor("values", values, ndim=3)
    assert isinstance(queries, torch.Tensor)  # for type checkers
    assert isinstance(keys, torch.Tensor) and isinstance(values, torch.Tensor)
    if not (queries.shape[0] == keys.shape[0] == values.shape[0]):
        raise ValueError(
            "queries, keys and values must have the same batch size, got shapes "
            f"{tuple(queries.shape)}, {tuple(keys.shape)}, {tuple(values.shape)}"
        )
    if keys.shape[1] != values.shape[1]:
        raise ValueError(
            "keys (batch, keys, d_k) and values (batch, keys, d_v) must have the same "
            f"number of keys, got {tuple(keys.shape)} and {tuple(values.shape)}"
        )


# Lesson 06


def _check_num_heads(num_heads: object) -> None:
    """Raise unless ``num_heads`` is an int >= 1."""
    if not isinstance(num_heads, int) or isinstance(num_heads, bool):
        raise TypeError(f"num_heads must be an int, got {type(num_heads).__name__}")
    if num_heads < 1:
        raise ValueError(f"num_heads must be at least 1, got {num_heads}")


def check_split_heads(X: object, num_heads: object) -> None:
    """Check the arguments of ``transpose_qkv``: X (batch, steps, num_hiddens), num_heads."""
    check_float_tensor("X", X, ndim=3)
    _check_num_heads(num_heads)
    assert isinstance(X, torch.Tensor) and isinstance(num_heads, int)  # for type checkers
    if X.shape[-1] % num_heads:
        raise ValueError(
            f"X (batch, steps, num_hiddens) needs num_hiddens divisible by num_heads, "
            f"got shape {tuple(X.shape)} and num_heads={num_heads}"
        )


def check_merge_heads(X: object, num_heads: object) -> None:
    """Check the arguments of ``transpose_output``: X (batch * num_heads, steps, head_size)."""
    check_float_tensor("X", X, ndim=3)
    _check_num_heads(num_heads)
    assert isinstance(X, torch.Tensor) and isinstance(num_heads, int)  # for type checkers
    if X.shape[0] % num_heads:
        raise ValueError(
            "X must have shape (batch * num_heads, steps, head_size), "
            f"got shape {tuple(X.shape)} and num_heads={num_heads}"
        )


def check_multihead_sizes(
    layer: object, key_size: object, query_size: object, value_size: object,
    num_hiddens: object, num_heads: object, dropout: float = 0.0, bias: bool = False,
) -> None:
    """Check the constructor arguments of ``MultiHeadAttention``."""
    sizes = {"key_size": key_size, "query_size": query_size, "value_size": value_size,
             "num_hiddens": num_hiddens, "num_heads": num_heads}
    for name, size in sizes.items():
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"{name} must be an int, got {type(size).__name__}")
        if size < 1:
            raise ValueError(f"{name} must be at least 1, got {size}")
    assert isinstance(num_hiddens, int) and isinstance(num_heads, int)  # for type checkers
    if num_hiddens % num_heads:
        raise ValueError(
            f"num_hiddens ({num_hiddens}) must be divisible by num_heads ({num_heads}): "
            "every head gets num_hiddens / num_heads features"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


def check_multihead_inputs(
    layer: Any, queries: object, keys: object, values: object,
    valid_lens: object = None, causal: bool = False,
) -> None:
    """Check the arguments of ``MultiHeadAttention.forward`` against the layer's sizes.

    Raises:
        TypeError: an input is not a floating-point tensor, its dtype differs
            from the weights', or ``valid_lens`` is not an integer tensor.
        ValueError: a shape does not fit the layer, or a valid length is
            outside [0, keys].
    """
    check_attention_inputs(queries, keys, values)
    assert isinstance(queries, torch.Tensor) and isinstance(keys, torch.Tensor)
    inputs = (("queries", queries, layer.W_q), ("keys", keys, layer.W_k),
              ("values", values, layer.W_v))
    for name, X, projection in inputs:
        if X.shape[-1] != projection.in_features:
            raise ValueError(
                f"{name} must have shape (batch, steps, {projection.in_features}), "
                f"got {tuple(X.shape)}"
            )
        if X.dtype != projection.weight.dtype:
            raise TypeError(
                f"{name} has dtype {X.dtype} but the weights have {projection.weight.dtype}; "
                "convert one to the other (e.g. layer.to(dtype))"
            )
    if valid_lens is not None:
        check_valid_lens(valid_lens, queries.shape[0], queries.shape[1], keys.shape[1])


def check_key_padding_lens(valid_lens: object, num_keys: int) -> None:
    """Check the arguments of ``key_padding_mask``: valid_lens (batch,), each in [0, num_keys]."""
    if not isinstance(valid_lens, torch.Tensor) or valid_lens.dim() != 1:
        shape = tuple(valid_lens.shape) if isinstance(valid_lens, torch.Tensor) else None
        raise ValueError(
            "key_padding_mask needs valid_lens of shape (batch,) (one length per sequence), "
            f"got {shape if shape is not None else type(valid_lens).__name__}"
        )
    check_valid_lens(valid_lens, valid_lens.shape[0], None, num_keys)

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


# Lesson 09


def _check_sizes(**sizes: object) -> None:
    """Each size a positive int (not a bool)."""
    for name, size in sizes.items():
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"{name} must be an int, got {type(size).__name__}")
        if size < 1:
            raise ValueError(f"{name} must be at least 1, got {size}")


def check_ffn_sizes(self: object, num_hiddens: object, ffn_num_hiddens: object,
                    bias: bool = True) -> None:
    """``PositionWiseFFN(num_hiddens, ffn_num_hiddens)``: two positive ints."""
    _check_sizes(num_hiddens=num_hiddens, ffn_num_hiddens=ffn_num_hiddens)


def check_add_norm_sizes(self: object, num_hiddens: object, dropout: object,
                         norm_first: bool = False, bias: bool = True) -> None:
    """``AddNorm(num_hiddens, dropout)``: a positive int and a probability in [0, 1)."""
    _check_sizes(num_hiddens=num_hiddens)
    if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


def check_block_sizes(self: object, num_hiddens: object, ffn_num_hiddens: object,
                      num_heads: object, dropout: object = 0.0, norm_first: bool = False,
                      bias: bool = True) -> None:
    """A Transformer block's sizes: positive ints, heads dividing num_hiddens, dropout in [0, 1)."""
    _check_sizes(num_hiddens=num_hiddens, ffn_num_hiddens=ffn_num_hiddens, num_heads=num_heads)
    if num_hiddens % num_heads:  # type: ignore[operator]
        raise ValueError(
            f"num_hiddens ({num_hiddens}) must be divisible by num_heads ({num_heads}): "
            "every head gets num_hiddens / num_heads features"
        )
    check_add_norm_sizes(self, num_hiddens, dropout)


def check_transformer_sizes(self: object, vocab_size: object, num_hiddens: object,
                            ffn_num_hiddens: object, num_heads: object, num_layers: object,
                            dropout: object = 0.0, norm_first: bool = False) -> None:
    """A Transformer encoder's or decoder's sizes (num_hiddens even, for the positions)."""
    _check_sizes(vocab_size=vocab_size, num_layers=num_layers)
    check_block_sizes(self, num_hiddens, ffn_num_hiddens, num_heads, dropout)
    if num_hiddens % 2:  # type: ignore[operator]
        raise ValueError(f"num_hiddens must be even (sine and cosine pairs), got {num_hiddens}")


def _check_features(name: str, X: object, num_hiddens: int) -> torch.Tensor:
    check_float_tensor(name, X, ndim=3)
    assert isinstance(X, torch.Tensor)
    if X.shape[-1] != num_hiddens:
        raise ValueError(
            f"{name} must have shape (batch, steps, {num_hiddens}), got {tuple(X.shape)}"
        )
    return X


def check_block_inputs(self: Any, X: object, valid_lens: object = None) -> None:
    """``TransformerEncoderBlock.forward``: X (batch, steps, num_hiddens), valid_lens (batch,)."""
    X = _check_features("X", X, self.attention.W_o.out_features)
    if valid_lens is not None:
        check_valid_lens(valid_lens, X.shape[0], None, X.shape[1])


def check_decoder_block_inputs(self: Any, X: object, enc_outputs: object,
                               enc_valid_lens: object = None) -> None:
    """``TransformerDecoderBlock.forward``: X and enc_outputs (batch, *, num_hiddens)."""
    num_hiddens = self.self_attention.W_o.out_features
    X = _check_features("X", X, num_hiddens)
    enc_outputs = _check_features("enc_outputs", enc_outputs, num_hiddens)
    if enc_outputs.shape[0] != X.shape[0]:
        raise ValueError(
            f"X and enc_outputs must have the same batch size, got {tuple(X.shape)} and "
            f"{tuple(enc_outputs.shape)}"
        )
    if enc_valid_lens is not None:
        check_valid_lens(enc_valid_lens, X.shape[0], None, enc_outputs.shape[1])


def check_tokens(self: Any, X: object, *state: object) -> None:
    """Token indices X (batch, steps), an integer tensor inside the vocabulary."""
    if not isinstance(X, torch.Tensor) or X.dtype.is_floating_point or X.dtype == torch.bool:
        kind = X.dtype if isinstance(X, torch.Tensor) else type(X).__name__
        raise TypeError(f"X must be an integer tensor of token indices, got {kind}")
    if X.dim() != 2:
        raise ValueError(f"X must have shape (batch, steps), got {tuple(X.shape)}")
    vocab_size = self.embedding.num_embeddings
    if X.numel() and not 0 <= int(X.min()) <= int(X.max()) < vocab_size:
        raise ValueError(f"token indices must be in [0, {vocab_size}), got {X.min()}..{X.max()}")


def check_schedule(warmup_steps: object, num_steps: object) -> None:
    """A warm-up of 0 <= warmup_steps < num_steps steps."""
    _check_sizes(num_steps=num_steps)
    if not isinstance(warmup_steps, int) or isinstance(warmup_steps, bool):
        raise TypeError(f"warmup_steps must be an int, got {type(warmup_steps).__name__}")
    if not 0 <= warmup_steps < num_steps:  # type: ignore[operator]
        raise ValueError(f"need 0 <= warmup_steps < num_steps, got {warmup_steps}, {num_steps}")

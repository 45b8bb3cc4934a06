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


# Lesson 05: one validator per public entry point of attn_course.seq2seq,
# attn_course.training and attn_course.metrics. Each takes the entry point's
# arguments (``self`` first for a method) and raises TypeError or ValueError.


def check_token_indices(name: str, X: object) -> None:
    """Check that ``X`` is a (batch, steps) tensor of integer token indices."""
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of token indices, got {type(X).__name__}")
    if X.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"{name} must hold integer token indices, got dtype {X.dtype}")
    if X.dim() != 2:
        raise ValueError(f"{name} must have shape (batch, steps), got {tuple(X.shape)}")


def check_source(X: object, valid_lens: object) -> None:
    """Check source indices (batch, steps) and their lengths (batch,), each in [1, steps]."""
    check_token_indices("X", X)
    assert isinstance(X, torch.Tensor)
    check_valid_lens(valid_lens, X.shape[0], None, X.shape[1])
    assert isinstance(valid_lens, torch.Tensor)
    if valid_lens.numel() and int(valid_lens.min()) < 1:
        raise ValueError(f"every source needs at least 1 token, got {valid_lens.tolist()}")


def check_gru_encoder(encoder: object, vocab_size: int, embed_size: int, num_hiddens: int) -> None:
    """Validator of ``GRUEncoder(vocab_size, embed_size, num_hiddens)``: an even num_hiddens."""
    if num_hiddens % 2:
        raise ValueError(f"num_hiddens must be even (half per direction), got {num_hiddens}")


def check_encoder_inputs(encoder: object, X: object, valid_lens: object) -> None:
    """Validator of ``GRUEncoder.forward(X, valid_lens)``."""
    check_source(X, valid_lens)


def check_decoder_inputs(decoder: object, X: object, state: object) -> None:
    """Validator of a decoder's ``forward(X, state)``: X (batch, steps) with steps >= 1."""
    check_token_indices("X", X)
    assert isinstance(X, torch.Tensor)
    if X.shape[1] < 1:
        raise ValueError(f"X must hold at least one step, got shape {tuple(X.shape)}")


def check_encoder_decoder_inputs(
    model: object, source: object, source_valid_lens: object, decoder_input: object
) -> None:
    """Validator of ``EncoderDecoder.forward(source, source_valid_lens, decoder_input)``."""
    check_source(source, source_valid_lens)
    check_decoder_inputs(model, decoder_input, None)
    assert isinstance(source, torch.Tensor) and isinstance(decoder_input, torch.Tensor)
    if decoder_input.shape[0] != source.shape[0]:
        raise ValueError(
            f"source and decoder_input must have the same batch size, got "
            f"{tuple(source.shape)} and {tuple(decoder_input.shape)}"
        )


def check_greedy_decode(
    model: object, source: object, source_valid_lens: object, bos: int, eos: int, max_steps: int
) -> None:
    """Validator of ``greedy_decode``: a valid source and ``max_steps`` >= 1."""
    if not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps}")
    check_source(source, source_valid_lens)


def check_masked_cross_entropy(logits: object, labels: object, valid_lens: object) -> None:
    """Validator of ``masked_cross_entropy``: logits (batch, steps, vocab), int64 labels
    (batch, steps), valid_lens (batch,) in [0, steps], not all 0."""
    check_float_tensor("logits", logits, ndim=3)
    assert isinstance(logits, torch.Tensor)
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        raise TypeError("labels must be a torch.int64 tensor of shape (batch, steps)")
    if labels.shape != logits.shape[:2]:
        raise ValueError(
            f"labels must have shape (batch, steps) = {tuple(logits.shape[:2])}, "
            f"got {tuple(labels.shape)}"
        )
    check_valid_lens(valid_lens, labels.shape[0], None, labels.shape[1])
    assert isinstance(valid_lens, torch.Tensor)
    if not bool((valid_lens > 0).any()):
        raise ValueError("no valid token: every valid length is 0")


def check_train_seq2seq(
    model: object, batches: Any, num_steps: int, *args: Any, **kwargs: Any
) -> None:
    """Validator of ``train_seq2seq``: some batches and ``num_steps`` >= 1."""
    if not batches:
        raise ValueError("no training batches")
    if not isinstance(num_steps, int) or num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")


def check_alignment_accuracy(attention_weights: object, gold_alignments: object) -> None:
    """Validator of ``alignment_accuracy``: weights (batch, target_steps, source_steps) and
    integer gold positions (batch, target_steps) below source_steps, not all -1."""
    check_float_tensor("attention_weights", attention_weights, ndim=3)
    assert isinstance(attention_weights, torch.Tensor)
    if not isinstance(gold_alignments, torch.Tensor) or gold_alignments.dtype not in (
        torch.int64,
        torch.int32,
    ):
        raise TypeError("gold_alignments must be an integer tensor (batch, target_steps)")
    if gold_alignments.shape != attention_weights.shape[:2]:
        raise ValueError(
            "gold_alignments must have shape (batch, target_steps) = "
            f"{tuple(attention_weights.shape[:2])}, got {tuple(gold_alignments.shape)}"
        )
    if gold_alignments.numel() and int(gold_alignments.max()) >= attention_weights.shape[2]:
        raise ValueError(
            f"gold positions must be below source_steps = {attention_weights.shape[2]}"
        )
    if not bool((gold_alignments >= 0).any()):
        raise ValueError("no target token has a gold alignment (all entries are -1)")

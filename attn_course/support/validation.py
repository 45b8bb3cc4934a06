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

        checked.check = check  # type: ignore[attr-defined]  # for validator_of
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
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(X.shape)}")


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
    if (
        valid_lens.dtype.is_floating_point
        or valid_lens.dtype.is_complex
        or (valid_lens.dtype == torch.bool)
    ):
        raise TypeError(f"valid_lens must be an integer tensor, got dtype {valid_lens.dtype}")
    allowed = [(batch_size,)]
    if num_queries is not None:
        allowed.append((batch_size, num_queries))
    if tuple(valid_lens.shape) not in allowed:
        expected = " or ".join(str(shape) for shape in allowed)
        raise ValueError(f"valid_lens must have shape {expected}, got {tuple(valid_lens.shape)}")
    if valid_lens.numel() and int(valid_lens.min()) < 0:
        raise ValueError(f"valid_lens must not be negative, got {valid_lens.tolist()}")
    if valid_lens.numel() and int(valid_lens.max()) > max_len:
        raise ValueError(
            f"valid_lens must be at most {max_len} (the sequence length), got {valid_lens.tolist()}"
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


# Lessons 07-08


def _check_positive_int(name: str, value: object, even: bool = False) -> None:
    """Raise ValueError unless ``value`` is an int >= 1 (and even, if asked)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        what = "a positive even int" if even else "an int >= 1"
        raise ValueError(f"{name} must be {what}, got {value!r}")
    if even and value % 2:
        raise ValueError(
            f"{name} must be a positive even int (a sine and a cosine column per "
            f"frequency), got {value!r}"
        )


def check_table_sizes(max_len: object, num_hiddens: object) -> None:
    """Check the sizes of a sinusoidal table: ``max_len`` >= 1, ``num_hiddens`` positive, even."""
    _check_positive_int("max_len", max_len)
    _check_positive_int("num_hiddens", num_hiddens, even=True)


def check_encoding_sizes(
    module: object, num_hiddens: object, dropout: object, max_len: object
) -> None:
    """Check the sizes of a learned encoding: ``num_hiddens`` and ``max_len`` ints >= 1."""
    _check_positive_int("num_hiddens", num_hiddens)
    _check_positive_int("max_len", max_len)


def check_sequence(module: Any, X: object) -> None:
    """Check X (batch, steps, module.num_hiddens), and steps <= module.max_len if it has one.

    Raises:
        TypeError: X is not a floating-point tensor.
        ValueError: X is not 3-D, its last size is not ``num_hiddens``, or it
            has more steps than the module's ``max_len``.
    """
    check_float_tensor("X", X, ndim=3)
    assert isinstance(X, torch.Tensor)  # for type checkers
    num_hiddens = module.num_hiddens
    if X.shape[-1] != num_hiddens:
        raise ValueError(f"X must have shape (batch, steps, {num_hiddens}), got {tuple(X.shape)}")
    max_len = getattr(module, "max_len", None)
    if max_len is not None and X.shape[1] > max_len:
        raise ValueError(
            f"X has {X.shape[1]} steps but the encoding only covers max_len={max_len} "
            "positions; build it with a larger max_len"
        )


# Lessons 01-02


def check_heatmaps(
    matrices: object,
    xlabel: str,
    ylabel: str,
    titles: object = None,
    figsize: object = None,
    cmap: object = None,
    xticklabels: object = None,
    yticklabels: object = None,
) -> None:
    """Check ``show_heatmaps``'s arguments: (rows, cols, queries, keys) or (queries, keys).

    Raises:
        TypeError: ``matrices`` is not a tensor.
        ValueError: ``matrices`` is not 2-D or 4-D, or the number of titles or
            tick labels does not fit its shape.
    """
    if not isinstance(matrices, torch.Tensor):
        raise TypeError(f"matrices must be a torch.Tensor, got {type(matrices).__name__}")
    if matrices.dim() not in (2, 4):
        raise ValueError(
            "matrices must have shape (rows, cols, queries, keys) or (queries, keys), "
            f"got {tuple(matrices.shape)}"
        )
    num_cols = matrices.shape[1] if matrices.dim() == 4 else 1
    num_queries, num_keys = matrices.shape[-2:]
    for name, labels, wanted, per in [
        ("titles", titles, num_cols, "column"),
        ("xticklabels", xticklabels, num_keys, "key"),
        ("yticklabels", yticklabels, num_queries, "query"),
    ]:
        if labels is not None and len(labels) != wanted:  # type: ignore[arg-type]
            count = len(labels)  # type: ignore[arg-type]
            raise ValueError(f"expected {wanted} {name} (one per {per}), got {count}")


# Lessons 03-04: one validator per public entry point of attn_course.masking and
# attn_course.scoring. Each takes the entry point's arguments (``self`` first for a
# method) and raises TypeError or ValueError naming the expected type and shape.


def check_size(name: str, size: object) -> None:
    """Check that ``size`` is a non-negative int."""
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(f"{name} must be an int, got {type(size).__name__}")
    if size < 0:
        raise ValueError(f"{name} must not be negative, got {size}")


def check_length_mask(valid_lens: object, max_len: object) -> None:
    """Validator of ``length_mask(valid_lens, max_len)``: integer lengths of any shape."""
    if not isinstance(valid_lens, torch.Tensor) or valid_lens.is_floating_point():
        raise TypeError(f"valid_lens must be an integer tensor, got {type(valid_lens).__name__}")
    check_size("max_len", max_len)


def check_sequence_mask(X: object, valid_len: object, value: float = 0.0) -> None:
    """Validator of ``sequence_mask``: X (batch, steps, ...), valid_len (batch,) in [0, steps]."""
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X must be a torch.Tensor, got {type(X).__name__}")
    if X.dim() < 2:
        raise ValueError(f"X must have shape (batch, steps, ...), got {tuple(X.shape)}")
    check_valid_lens(valid_len, X.shape[0], None, X.shape[1])


def check_causal_mask(num_queries: object, num_keys: object, device: object = None) -> None:
    """Validator of ``causal_mask(num_queries, num_keys, device)``: two non-negative ints."""
    check_size("num_queries", num_queries)
    check_size("num_keys", num_keys)


def check_masked_softmax(X: object, valid_lens: object = None, causal: bool = False) -> None:
    """Validator of ``masked_softmax``: X (batch, queries, keys) float, valid_lens
    None, (batch,) or (batch, queries) with lengths in [0, keys]."""
    check_float_tensor("X", X, ndim=3)
    assert isinstance(X, torch.Tensor)  # for type checkers
    if valid_lens is not None:
        check_valid_lens(valid_lens, X.shape[0], X.shape[1], X.shape[2])


def check_queries_and_keys(queries: object, keys: object, dtype: torch.dtype | None = None) -> None:
    """Check queries (batch, queries, d_q) and keys (batch, keys, d_k) for a score.

    ``dtype`` is the dtype of the layer's parameters (None for a score without
    parameters); queries and keys must then have it.
    """
    check_float_tensor("queries", queries, ndim=3)
    check_float_tensor("keys", keys, ndim=3)
    assert isinstance(queries, torch.Tensor) and isinstance(keys, torch.Tensor)
    if queries.shape[0] != keys.shape[0]:
        raise ValueError(
            "queries (batch, queries, d_q) and keys (batch, keys, d_k) must have the same "
            f"batch size, got {tuple(queries.shape)} and {tuple(keys.shape)}"
        )
    if queries.dtype != keys.dtype:
        raise TypeError(
            f"queries and keys must have the same dtype, got {queries.dtype} and {keys.dtype}"
        )
    if dtype is not None and queries.dtype != dtype:
        raise TypeError(
            f"the layer's parameters are {dtype} but queries and keys are {queries.dtype}: "
            f"convert the layer with layer.to({queries.dtype}) or the inputs with .to({dtype})"
        )


def check_dot_product_scores(layer: object, queries: object, keys: object) -> None:
    """Validator of ``DotProductAttention.score``: (batch, queries, d) and (batch, keys, d)."""
    check_queries_and_keys(queries, keys)
    assert isinstance(queries, torch.Tensor) and isinstance(keys, torch.Tensor)
    if queries.shape[-1] != keys.shape[-1]:
        raise ValueError(
            "dot-product attention needs queries (batch, queries, d) and keys "
            f"(batch, keys, d) of the same size d, got {tuple(queries.shape)} "
            f"and {tuple(keys.shape)}"
        )


def check_feature_sizes(
    queries: object, keys: object, query_size: int, key_size: int, dtype: torch.dtype
) -> None:
    """Check queries (batch, queries, query_size) and keys (batch, keys, key_size) of ``dtype``."""
    check_queries_and_keys(queries, keys, dtype=dtype)
    assert isinstance(queries, torch.Tensor) and isinstance(keys, torch.Tensor)
    if queries.shape[-1] != query_size or keys.shape[-1] != key_size:
        raise ValueError(
            f"expected queries (batch, queries, {query_size}) and keys "
            f"(batch, keys, {key_size}), got {tuple(queries.shape)} and {tuple(keys.shape)}"
        )


def check_additive_scores(layer: Any, queries: object, keys: object) -> None:
    """Validator of ``AdditiveAttention.score``: the sizes and dtype of W_q and W_k."""
    check_feature_sizes(
        queries, keys, layer.W_q.in_features, layer.W_k.in_features, layer.W_q.weight.dtype
    )


def check_bilinear_scores(layer: Any, queries: object, keys: object) -> None:
    """Validator of ``BilinearAttention.score``: W (query_size, key_size) and its dtype."""
    check_feature_sizes(
        queries, keys, layer.W.out_features, layer.W.in_features, layer.W.weight.dtype
    )


def check_attention(
    layer: Any,
    queries: object,
    keys: object,
    values: object,
    valid_lens: object = None,
    causal: bool = False,
) -> None:
    """Validator of ``AttentionPooling.forward``: queries (batch, queries, d_q), keys
    (batch, keys, d_k), values (batch, keys, d_v) of one dtype, valid_lens as for
    ``masked_softmax``, and what the layer's own score checks (the validator of its
    ``score`` method, which does not run again inside the checked call)."""
    check_attention_inputs(queries, keys, values)
    assert isinstance(queries, torch.Tensor) and isinstance(keys, torch.Tensor)
    assert isinstance(values, torch.Tensor)
    if values.dtype != queries.dtype:
        raise TypeError(
            f"values must have the dtype of queries and keys ({queries.dtype}), got {values.dtype}"
        )
    score_check = validator_of(type(layer).score)
    if score_check is not None:
        score_check(layer, queries, keys)
    else:
        check_queries_and_keys(queries, keys)
    if valid_lens is not None:
        check_valid_lens(valid_lens, queries.shape[0], queries.shape[1], keys.shape[1])


def validator_of(function: Callable[..., Any]) -> Callable[..., None] | None:
    """The ``check`` a function was decorated with by ``validated(check)``, or None."""
    return getattr(function, "check", None)


# Lesson 10


def check_tiled_attention(
    queries: object,
    keys: object,
    values: object,
    block_size: object,
    valid_lens: object = None,
    causal: object = False,
) -> None:
    """Check the arguments of ``tiled_attention``: 3-D float tensors, a block size >= 1.

    Raises:
        TypeError: a tensor is not floating-point, ``valid_lens`` not integer,
            or ``block_size`` not an int.
        ValueError: the shapes do not fit (queries and keys need the same
            feature size), ``block_size`` < 1, or a valid length is outside [0, keys].
    """
    check_attention_inputs(queries, keys, values)
    assert isinstance(queries, torch.Tensor) and isinstance(keys, torch.Tensor)
    if queries.shape[-1] != keys.shape[-1]:
        raise ValueError(
            "queries (batch, queries, d) and keys (batch, keys, d) need the same d, got "
            f"{tuple(queries.shape)} and {tuple(keys.shape)}"
        )
    if not isinstance(block_size, int) or isinstance(block_size, bool):
        raise TypeError(f"block_size must be an int, got {type(block_size).__name__}")
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    if valid_lens is not None:
        check_valid_lens(valid_lens, queries.shape[0], queries.shape[1], keys.shape[1])


def check_rotary_input(X: object, positions: object = None) -> None:
    """Check the arguments of ``apply_rotary``: X (batch, steps, d) with d even.

    Raises:
        TypeError: X is not a floating-point tensor, or ``positions`` not a tensor.
        ValueError: X is not 3-D, d is odd, or ``positions`` is not of shape
            (steps,) or (batch, steps).
    """
    check_float_tensor("X", X, ndim=3)
    assert isinstance(X, torch.Tensor)
    if X.shape[-1] % 2:
        raise ValueError(
            "X must have an even number of features (they are rotated in pairs), "
            f"got shape {tuple(X.shape)}"
        )
    if positions is None:
        return
    if not isinstance(positions, torch.Tensor):
        raise TypeError(f"positions must be a torch.Tensor, got {type(positions).__name__}")
    if tuple(positions.shape) not in {(X.shape[1],), (X.shape[0], X.shape[1])}:
        raise ValueError(
            f"positions must have shape ({X.shape[1]},) or ({X.shape[0]}, {X.shape[1]}), "
            f"got {tuple(positions.shape)}"
        )


def check_sizes(**sizes: object) -> None:
    """Check that every named size is an int >= 1.

    Raises:
        TypeError: a size is not an int.
        ValueError: a size is < 1.
    """
    for name, size in sizes.items():
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"{name} must be an int, got {type(size).__name__}")
        if size < 1:
            raise ValueError(f"{name} must be at least 1, got {size}")


def check_grouped_query_attention(
    self: Any,
    num_hiddens: object,
    num_heads: object,
    num_kv_heads: object,
    dropout: object = 0.0,
    bias: object = False,
) -> None:
    """Check the sizes of ``GroupedQueryAttention``.

    Raises:
        TypeError: a size is not an int.
        ValueError: a size is < 1, ``num_heads`` does not divide ``num_hiddens``,
            ``num_kv_heads`` does not divide ``num_heads``, or ``dropout`` is
            outside [0, 1).
    """
    check_sizes(num_hiddens=num_hiddens, num_heads=num_heads, num_kv_heads=num_kv_heads)
    assert isinstance(num_hiddens, int) and isinstance(num_heads, int)
    assert isinstance(num_kv_heads, int)
    if num_hiddens % num_heads:
        raise ValueError(
            f"num_hiddens ({num_hiddens}) must be divisible by num_heads ({num_heads})"
        )
    if num_heads % num_kv_heads:
        raise ValueError(
            f"num_heads ({num_heads}) must be divisible by num_kv_heads ({num_kv_heads}): "
            "each key-value head serves the same number of query heads"
        )
    if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")


def check_grouped_query_inputs(
    self: Any,
    queries: object,
    keys: object,
    values: object,
    valid_lens: object = None,
    causal: object = False,
) -> None:
    """Check the inputs of ``GroupedQueryAttention.forward``: (batch, steps, num_hiddens) each.

    Raises:
        TypeError: an input is not a floating-point tensor, its dtype differs
            from the weights', or ``valid_lens`` is not integer.
        ValueError: a shape does not fit, or a valid length is outside [0, keys].
    """
    check_attention_inputs(queries, keys, values)
    for name, X, layer in (
        ("queries", queries, self.W_q),
        ("keys", keys, self.W_k),
        ("values", values, self.W_v),
    ):
        assert isinstance(X, torch.Tensor)
        if X.shape[-1] != layer.in_features:
            raise ValueError(
                f"{name} must have shape (batch, steps, {layer.in_features}), got {tuple(X.shape)}"
            )
        if X.dtype != layer.weight.dtype:
            raise TypeError(f"{name} has dtype {X.dtype} but the weights have {layer.weight.dtype}")
    if valid_lens is not None:
        assert isinstance(queries, torch.Tensor) and isinstance(keys, torch.Tensor)
        check_valid_lens(valid_lens, queries.shape[0], queries.shape[1], keys.shape[1])


# Lesson 05: one validator per public entry point of attn_course.seq2seq,
# attn_course.support.training and attn_course.support.metrics. Each takes the entry point's
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
    layer: object,
    key_size: object,
    query_size: object,
    value_size: object,
    num_hiddens: object,
    num_heads: object,
    dropout: float = 0.0,
    bias: bool = False,
) -> None:
    """Check the constructor arguments of ``MultiHeadAttention``."""
    sizes = {
        "key_size": key_size,
        "query_size": query_size,
        "value_size": value_size,
        "num_hiddens": num_hiddens,
        "num_heads": num_heads,
    }
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
    layer: Any,
    queries: object,
    keys: object,
    values: object,
    valid_lens: object = None,
    causal: bool = False,
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
    inputs = (
        ("queries", queries, layer.W_q),
        ("keys", keys, layer.W_k),
        ("values", values, layer.W_v),
    )
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


# Lesson 09


def _check_sizes(**sizes: object) -> None:
    """Each size a positive int (not a bool)."""
    for name, size in sizes.items():
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError(f"{name} must be an int, got {type(size).__name__}")
        if size < 1:
            raise ValueError(f"{name} must be at least 1, got {size}")


def check_ffn_sizes(
    self: object, num_hiddens: object, ffn_num_hiddens: object, bias: bool = True
) -> None:
    """``PositionWiseFFN(num_hiddens, ffn_num_hiddens)``: two positive ints."""
    _check_sizes(num_hiddens=num_hiddens, ffn_num_hiddens=ffn_num_hiddens)


def check_add_norm_sizes(
    self: object, num_hiddens: object, dropout: object, norm_first: bool = False, bias: bool = True
) -> None:
    """``AddNorm(num_hiddens, dropout)``: a positive int and a probability in [0, 1)."""
    _check_sizes(num_hiddens=num_hiddens)
    if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


def check_block_sizes(
    self: object,
    num_hiddens: object,
    ffn_num_hiddens: object,
    num_heads: object,
    dropout: object = 0.0,
    norm_first: bool = False,
    bias: bool = True,
) -> None:
    """A Transformer block's sizes: positive ints, heads dividing num_hiddens, dropout in [0, 1)."""
    _check_sizes(num_hiddens=num_hiddens, ffn_num_hiddens=ffn_num_hiddens, num_heads=num_heads)
    if num_hiddens % num_heads:  # type: ignore[operator]
        raise ValueError(
            f"num_hiddens ({num_hiddens}) must be divisible by num_heads ({num_heads}): "
            "every head gets num_hiddens / num_heads features"
        )
    check_add_norm_sizes(self, num_hiddens, dropout)


def check_transformer_sizes(
    self: object,
    vocab_size: object,
    num_hiddens: object,
    ffn_num_hiddens: object,
    num_heads: object,
    num_layers: object,
    dropout: object = 0.0,
    norm_first: bool = False,
) -> None:
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


def check_decoder_block_inputs(
    self: Any, X: object, enc_outputs: object, enc_valid_lens: object = None
) -> None:
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


def check_schedule_step(step: object, warmup_steps: object, num_steps: object) -> None:
    """Step 1..num_steps of a schedule with 0 <= warmup_steps < num_steps."""
    check_schedule(warmup_steps, num_steps)
    _check_sizes(step=step)
    if step > num_steps:  # type: ignore[operator]
        raise ValueError(f"step must be at most num_steps ({num_steps}), got {step}")

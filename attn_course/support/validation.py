"""Input checks of the course's functions and layers (hand-written, not taught).

Each public entry point calls one check first, as PyTorch's layers do. A check takes only what it
checks, raises TypeError (kind, dtype) or ValueError (shape, size, value), reads values once."""

import functools

import torch


def _eager_only(check):  # check, skipped while torch.compile traces: the graph needs no checks
    return functools.wraps(check)(
        lambda *args, **kwargs: None if torch.compiler.is_compiling() else check(*args, **kwargs)
    )


def _int(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low:
        least = f"be at least {low}" if low else "not be negative"
        raise ValueError(f"{name} must {least}, got {value}")


def _tensor(name, X, ndim=None, floating=True):
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(X).__name__}")
    if floating and not X.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {X.dtype}")
    if ndim is not None and X.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {tuple(X.shape)}")
    return X


def _shape(X, *shapes, name="valid_lens"):
    if tuple(_tensor(name, X, floating=False).shape) not in shapes:
        expected = " or ".join(str(shape) for shape in shapes)
        raise ValueError(f"{name} must have shape {expected}, got {tuple(X.shape)}")
    return X


def _lens_range(valid_lens, low, high, what="the number of keys or steps to mask"):
    """Integer lengths in [low, high]: one read of the values (none on the meta device)."""
    if valid_lens.is_floating_point() or valid_lens.is_complex() or valid_lens.dtype == torch.bool:
        raise TypeError(f"valid_lens must be an integer tensor, got dtype {valid_lens.dtype}")
    if valid_lens.is_meta or not bool(((valid_lens < low) | (valid_lens > high)).any()):
        return
    shortest, longest = int(valid_lens.min()), int(valid_lens.max())
    if shortest < low:
        least = "be at least 1 (every source needs at least 1 token)" if low else "not be negative"
        raise ValueError(f"valid_lens must {least}, got a length of {shortest}")
    raise ValueError(f"valid_lens must be at most {high} ({what}), got {longest}")


@_eager_only
def check_sizes(low=1, dropout=None, even=None, **sizes):
    """Every named size an int >= ``low``, the one named ``even`` even; dropout in [0, 1)."""
    for name, size in sizes.items():
        _int(name, size, low)
    if even is not None and sizes[even] % 2:
        raise ValueError(f"{even} must be even, got {sizes[even]}")
    if dropout is not None and (isinstance(dropout, bool) or not 0 <= dropout < 1):
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


@_eager_only
def check_multihead_sizes(key_size, query_size, value_size, num_hiddens, num_heads, dropout):
    """Positive sizes, num_heads dividing num_hiddens, dropout in [0, 1)."""
    sizes = {"key_size": key_size, "query_size": query_size, "value_size": value_size}
    check_sizes(num_hiddens=num_hiddens, num_heads=num_heads, dropout=dropout, **sizes)
    if num_hiddens % num_heads:
        message = f"num_hiddens ({num_hiddens}) must be divisible by num_heads ({num_heads})"
        raise ValueError(f"{message}: every head gets num_hiddens / num_heads features")


@_eager_only
def check_schedule(warmup_steps, num_steps, step=None):
    """0 <= warmup_steps < num_steps, and step in 1..num_steps if given."""
    _int("num_steps", num_steps)
    _int("warmup_steps", warmup_steps, low=0)
    if warmup_steps >= num_steps:
        raise ValueError(f"need warmup_steps < num_steps, got {warmup_steps} and {num_steps}")
    if step is not None:
        _int("step", step)
        if step > num_steps:
            raise ValueError(f"step must be at most num_steps ({num_steps}), got {step}")


@_eager_only
def check_heatmaps(matrices, titles, xticklabels, yticklabels):
    """``matrices`` (rows, cols, queries, keys) or (queries, keys), one label per row/column."""
    if _tensor("matrices", matrices, floating=False).dim() not in (2, 4):
        shapes = "(rows, cols, queries, keys) or (queries, keys)"
        raise ValueError(f"matrices must have shape {shapes}, got {tuple(matrices.shape)}")
    for name, labels, count, per in [
        ("titles", titles, matrices.shape[1] if matrices.dim() == 4 else 1, "column"),
        ("xticklabels", xticklabels, matrices.shape[-1], "key"),
        ("yticklabels", yticklabels, matrices.shape[-2], "query"),
    ]:
        if labels is not None and len(labels) != count:
            raise ValueError(f"expected {count} {name} (one per {per}), got {len(labels)}")


@_eager_only
def check_valid_lens(valid_lens, max_len):
    """Integer lengths of any shape, each in [0, max_len] (one read of the values)."""
    _int("max_len", max_len, low=0)
    _lens_range(_tensor("valid_lens", valid_lens, floating=False), 0, max_len)


@_eager_only
def check_sequence_mask(X, valid_len):
    """X (batch, steps, ...) and one length per sequence (batch,)."""
    if _tensor("X", X, floating=False).dim() < 2:
        raise ValueError(f"X must have shape (batch, steps, ...), got {tuple(X.shape)}")
    _shape(valid_len, (X.shape[0],))


@_eager_only
def check_masked_softmax(X, valid_lens):
    """Scores X (batch, queries, keys); valid_lens None, (batch,) or (batch, queries)."""
    X = _tensor("X", X, ndim=3)
    if valid_lens is not None:
        _shape(valid_lens, (X.shape[0],), (X.shape[0], X.shape[1]))


@_eager_only
def check_attention(queries, keys, values):
    """queries (batch, q, d_q), keys (batch, k, d_k), values (batch, k, d_v) of one dtype."""
    Q, K, V = _tensor("queries", queries, 3), _tensor("keys", keys, 3), _tensor("values", values, 3)
    shapes = f"got {tuple(Q.shape)}, {tuple(K.shape)}, {tuple(V.shape)}"
    if not Q.shape[0] == K.shape[0] == V.shape[0]:
        raise ValueError(f"queries, keys and values must have the same batch size, {shapes}")
    if K.shape[1] != V.shape[1]:
        raise ValueError(f"keys and values must have the same number of keys, {shapes}")
    if not Q.dtype == K.dtype == V.dtype:
        dtypes = f"{Q.dtype}, {K.dtype}, {V.dtype}"
        raise TypeError(f"queries, keys and values must have the same dtype, got {dtypes}")


@_eager_only
def check_scores(queries, keys, query_size=None, key_size=None, dtype=None):
    """queries (batch, q, d_q), keys (batch, k, d_k); the layer's sizes and dtype, or one d."""
    Q, K = _tensor("queries", queries, 3), _tensor("keys", keys, 3)
    shapes = f"got {tuple(Q.shape)} and {tuple(K.shape)}"
    if Q.shape[0] != K.shape[0]:
        raise ValueError(f"queries and keys must have the same batch size, {shapes}")
    if Q.dtype != K.dtype:
        raise TypeError(f"queries and keys must have the same dtype, got {Q.dtype} and {K.dtype}")
    if dtype is not None and Q.dtype != dtype:
        fix = f"convert the layer with layer.to({Q.dtype}) or the inputs with .to({dtype})"
        raise TypeError(f"the layer's parameters are {dtype}, the inputs {Q.dtype}: {fix}")
    if query_size is None and Q.shape[-1] != K.shape[-1]:
        raise ValueError(f"dot-product attention needs queries and keys of one size d, {shapes}")
    if query_size is not None and (Q.shape[-1], K.shape[-1]) != (query_size, key_size):
        expected = f"queries (batch, queries, {query_size}) and keys (batch, keys, {key_size})"
        raise ValueError(f"expected {expected}, {shapes}")


@_eager_only
def check_heads(X, num_heads, split=True):
    """X (batch, steps, num_hiddens) to split, or (batch * num_heads, steps, p) to merge."""
    X = _tensor("X", X, 3)
    _int("num_heads", num_heads)
    got = f"got shape {tuple(X.shape)} and num_heads={num_heads}"
    if split and X.shape[-1] % num_heads:
        raise ValueError(f"X's num_hiddens must be divisible by num_heads, {got}")
    if not split and X.shape[0] % num_heads:
        raise ValueError(f"X must have shape (batch * num_heads, steps, head_size), {got}")


@_eager_only
def check_multihead_inputs(layer, queries, keys, values, valid_lens):
    """check_attention's inputs of the sizes and dtype of ``layer``'s W_q, W_k, W_v; lengths."""
    check_attention(queries, keys, values)
    for name, X, W in [("queries", queries, layer.W_q), ("keys", keys, layer.W_k),
                       ("values", values, layer.W_v)]:  # fmt: skip
        if X.shape[-1] != W.in_features:
            shape = tuple(X.shape)
            raise ValueError(f"{name} must have shape (batch, steps, {W.in_features}), got {shape}")
        if X.dtype != W.weight.dtype:
            fix = "convert one to the other (e.g. layer.to(dtype))"
            raise TypeError(f"{name} has dtype {X.dtype}, the weights {W.weight.dtype}; {fix}")
    if valid_lens is not None:
        _shape(valid_lens, (queries.shape[0],), tuple(queries.shape[:2]))


@_eager_only
def check_tiled_attention(queries, keys, values, block_size, valid_lens=None):
    """check_attention's inputs of one size d, block_size >= 1, lengths in [0, keys] (one read)."""
    check_attention(queries, keys, values)
    check_scores(queries, keys)
    check_sizes(block_size=block_size)
    if valid_lens is not None:
        _shape(valid_lens, (queries.shape[0],), tuple(queries.shape[:2]))
        check_valid_lens(valid_lens, keys.shape[1])


@_eager_only
def check_grouped_sizes(num_hiddens, num_heads, num_kv_heads, dropout):
    """check_multihead_sizes for inputs of num_hiddens features; num_kv_heads divides num_heads."""
    check_multihead_sizes(num_hiddens, num_hiddens, num_hiddens, num_hiddens, num_heads, dropout)
    _int("num_kv_heads", num_kv_heads)
    if num_heads % num_kv_heads:
        raise ValueError(f"num_kv_heads ({num_kv_heads}) must divide num_heads ({num_heads})")


@_eager_only
def check_rotary(X, positions=None):
    """X (batch, steps, d), d even; positions None, (steps,) or (batch, steps)."""
    if _tensor("X", X, 3).shape[-1] % 2:
        raise ValueError(f"X must have an even number of features, got shape {tuple(X.shape)}")
    if positions is not None:
        _shape(positions, (X.shape[1],), tuple(X.shape[:2]), name="positions")


@_eager_only
def check_key_padding_lens(valid_lens):
    """One length per sequence: (batch,)."""
    if not isinstance(valid_lens, torch.Tensor) or valid_lens.dim() != 1:
        got = getattr(valid_lens, "shape", type(valid_lens).__name__)
        raise ValueError(f"key_padding_mask needs valid_lens of shape (batch,), got {got}")


@_eager_only
def check_sequence(X, num_hiddens=None, max_len=None):
    """X (batch, steps, num_hiddens), steps <= max_len; each size if given."""
    X = _tensor("X", X, 3)
    if num_hiddens is not None and X.shape[-1] != num_hiddens:
        raise ValueError(f"X must have shape (batch, steps, {num_hiddens}), got {tuple(X.shape)}")
    if max_len is not None and X.shape[1] > max_len:
        steps = f"X has {X.shape[1]} steps but the encoding only covers max_len={max_len}"
        raise ValueError(f"{steps}; build it with a larger max_len")


@_eager_only
def check_tokens(X, vocab_size=None):
    """Token ids X (batch, steps), steps >= 1, in [0, vocab_size) if given (one read)."""
    if not isinstance(X, torch.Tensor) or X.dtype not in (torch.int64, torch.int32):
        got = getattr(X, "dtype", type(X).__name__)
        raise TypeError(f"X must be a tensor of integer token indices, got {got}")
    if X.dim() != 2 or X.shape[1] < 1:
        raise ValueError(f"X must have shape (batch, steps), steps >= 1, got {tuple(X.shape)}")
    if vocab_size is not None and not X.is_meta and bool(((X < 0) | (X >= vocab_size)).any()):
        low, high = int(X.min()), int(X.max())
        raise ValueError(f"token indices must be in [0, {vocab_size}), got {low}..{high}")


@_eager_only
def check_source(X, valid_lens):
    """Source ids X (batch, steps) and lengths (batch,), each in [1, steps] (one read)."""
    check_tokens(X)
    _lens_range(_shape(valid_lens, (X.shape[0],)), 1, X.shape[1], "the source's steps")


@_eager_only
def check_encoder_decoder(source, decoder_input):
    """source (batch, src_steps) and decoder_input (batch, steps) of one batch size."""
    source = _tensor("source", source, floating=False)
    target = _tensor("decoder_input", decoder_input, floating=False)
    if source.dim() and target.dim() and source.shape[0] != target.shape[0]:
        shapes = f"{tuple(source.shape)} and {tuple(target.shape)}"
        raise ValueError(f"source and decoder_input must have the same batch size, got {shapes}")


@_eager_only
def check_masked_cross_entropy(logits, labels, valid_lens):
    """logits (batch, steps, vocab), int64 labels (batch, steps), valid_lens (batch,) not all 0."""
    logits = _tensor("logits", logits, 3)
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        raise TypeError("labels must be a torch.int64 tensor of shape (batch, steps)")
    if labels.shape != logits.shape[:2]:
        expected, got = tuple(logits.shape[:2]), tuple(labels.shape)
        raise ValueError(f"labels must have shape (batch, steps) = {expected}, got {got}")
    lens = _shape(valid_lens, (labels.shape[0],))
    if not lens.is_meta and not bool((lens > 0).any()):
        raise ValueError("no valid token: every valid length is 0")


@_eager_only
def check_training(batches, num_steps):
    """Some batches, and num_steps >= 1."""
    _int("num_steps", num_steps)
    if not batches:
        raise ValueError("no training batches")


@_eager_only
def check_alignment_accuracy(attention_weights, gold_alignments):
    """Weights (batch, targets, sources); int gold positions (batch, targets), -1 for none."""
    weights, gold = _tensor("attention_weights", attention_weights, 3), gold_alignments
    if not isinstance(gold, torch.Tensor) or gold.dtype not in (torch.int64, torch.int32):
        raise TypeError("gold_alignments must be an integer tensor (batch, target_steps)")
    if gold.shape != weights.shape[:2]:
        shape = f"(batch, target_steps) = {tuple(weights.shape[:2])}"
        raise ValueError(f"gold_alignments must have shape {shape}, got {tuple(gold.shape)}")
    if gold.numel() and int(gold.max()) >= weights.shape[2]:
        raise ValueError(f"gold positions must be below source_steps = {weights.shape[2]}")
    if not bool((gold >= 0).any()):
        raise ValueError("no target token has a gold alignment (all entries are -1)")

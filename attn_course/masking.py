"""Masks for padded sequences, and the masked softmax built on them (lesson 03)."""

from __future__ import annotations

import torch

from attn_course.validation import check_float_tensor, check_valid_lens


def length_mask(valid_lens: torch.Tensor, max_len: int) -> torch.Tensor:
    """Boolean mask that is True at the positions inside each valid length.

    Args:
        valid_lens: integer tensor of any shape ``S``.
        max_len: the number of positions.

    Returns:
        Bool tensor of shape ``(*S, max_len)``; entry ``[..., j]`` is
        ``j < valid_lens[...]``.

    Raises:
        TypeError: ``valid_lens`` is not an integer tensor, or ``max_len``
            not an int.
        ValueError: ``max_len`` is negative.
    """
    if not isinstance(valid_lens, torch.Tensor) or valid_lens.is_floating_point():
        raise TypeError(f"valid_lens must be an integer tensor, got {type(valid_lens).__name__}")
    if not isinstance(max_len, int):
        raise TypeError(f"max_len must be an int, got {type(max_len).__name__}")
    if max_len < 0:
        raise ValueError(f"max_len must not be negative, got {max_len}")
    positions = torch.arange(max_len, device=valid_lens.device)  # (max_len,)
    return positions < valid_lens.unsqueeze(-1)  # (*S, max_len)


def sequence_mask(
    X: torch.Tensor, valid_len: torch.Tensor, value: float = 0.0
) -> torch.Tensor:
    """Replace the entries past each sequence's valid length by ``value``.

    Args:
        X: tensor of shape (batch, steps, ...).
        valid_len: integer tensor of shape (batch,), each entry in [0, steps].
        value: what padded positions are set to.

    Returns:
        A new tensor of the shape of ``X``; ``X`` itself is not changed.

    Raises:
        TypeError: ``X`` is not a tensor or ``valid_len`` not an integer tensor.
        ValueError: ``X`` has fewer than 2 dimensions, or ``valid_len`` has
            the wrong shape or a length outside [0, steps].
    """
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"X must be a torch.Tensor, got {type(X).__name__}")
    if X.dim() < 2:
        raise ValueError(f"X must have shape (batch, steps, ...), got {tuple(X.shape)}")
    batch_size, steps = X.shape[0], X.shape[1]
    check_valid_lens(valid_len, batch_size, None, steps)
    mask = length_mask(valid_len, steps)  # (batch, steps)
    mask = mask.reshape(mask.shape + (1,) * (X.dim() - 2))  # (batch, steps, 1, ...)
    return X.masked_fill(~mask, value)


def causal_mask(
    num_queries: int, num_keys: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """Boolean mask that lets query ``i`` see keys ``0 .. i`` only.

    Args:
        num_queries: the number of query rows.
        num_keys: the number of key columns.
        device: where to put the mask (default: the CPU).

    Returns:
        Bool tensor of shape (num_queries, num_keys), True on and below
        the diagonal (the same convention as ``is_causal=True`` in
        ``torch.nn.functional.scaled_dot_product_attention``).

    Raises:
        TypeError: a size is not an int.
        ValueError: a size is negative.
    """
    for name, size in (("num_queries", num_queries), ("num_keys", num_keys)):
        if not isinstance(size, int):
            raise TypeError(f"{name} must be an int, got {type(size).__name__}")
        if size < 0:
            raise ValueError(f"{name} must not be negative, got {size}")
    ones = torch.ones(num_queries, num_keys, dtype=torch.bool, device=device)
    return torch.tril(ones)  # (queries, keys)


def masked_softmax(
    X: torch.Tensor, valid_lens: torch.Tensor | None = None, causal: bool = False
) -> torch.Tensor:
    """Softmax over the last axis that gives exactly 0 weight to masked keys.

    Args:
        X: attention scores of shape (batch, queries, keys).
        valid_lens: None (no padding), an integer tensor of shape (batch,)
            (one length per sequence) or (batch, queries) (one per query).
        causal: if True, query ``i`` also ignores keys after position ``i``.

    Returns:
        Weights of the shape and dtype of ``X``. Each row sums to 1 over its
        unmasked keys; a row with no unmasked key is all zeros. float16 and
        bfloat16 scores are exponentiated in float32 (float64 stays
        float64), so they neither overflow nor produce NaN.

    Raises:
        TypeError: ``X`` is not a floating-point tensor, or ``valid_lens``
            is not an integer tensor.
        ValueError: ``X`` is not 3-D, or ``valid_lens`` has the wrong shape
            or a length outside [0, keys].
    """
    check_float_tensor("X", X, ndim=3)
    batch_size, num_queries, num_keys = X.shape
    keep = torch.ones_like(X, dtype=torch.bool)  # (batch, queries, keys)
    if valid_lens is not None:
        check_valid_lens(valid_lens, batch_size, num_queries, num_keys)
        if valid_lens.dim() == 1:
            valid_lens = valid_lens.unsqueeze(1).expand(batch_size, num_queries)
        keep = keep & length_mask(valid_lens, num_keys)  # (batch, queries, keys)
    if causal:
        keep = keep & causal_mask(num_queries, num_keys, device=X.device)
    compute_dtype = torch.promote_types(X.dtype, torch.float32)  # float32 or float64
    scores = X.to(compute_dtype).masked_fill(~keep, float("-inf"))  # (batch, queries, keys)
    # A fully masked row would be softmax(-inf, ..., -inf) = NaN: give it a
    # finite row instead; multiplying by `keep` below sets it to zero.
    empty_rows = ~keep.any(dim=-1, keepdim=True)  # (batch, queries, 1)
    scores = scores.masked_fill(empty_rows, 0.0)
    weights = torch.softmax(scores, dim=-1) * keep  # (batch, queries, keys)
    return weights.to(X.dtype)

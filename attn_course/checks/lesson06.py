"""Checks for the coding exercises of lesson 06 (multi-head attention).

- ``check_my_transpose_qkv(my_transpose_qkv)``: split the features into
  heads and stack the heads along the batch axis.
- ``check_my_multihead_loop(my_multihead_loop)``: multi-head attention
  computed one head at a time from the weight matrices.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from attn_course.checks.core import Case, run_check
from attn_course.multihead import MultiHeadAttention, transpose_qkv


def _features(*shape: int, seed: int) -> torch.Tensor:
    """Seeded random features, so every run checks the same inputs."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator)


def check_my_transpose_qkv(student: Callable) -> None:
    """Check ``student(X, num_heads)`` against ``transpose_qkv``.

    The student's function takes X (batch, steps, num_hiddens) and returns
    (batch * num_heads, steps, num_hiddens / num_heads).
    """
    cases = [
        Case("batch 2, 3 steps, 6 features, 2 heads", (_features(2, 3, 6, seed=1), 2)),
        Case("batch 3, 4 steps, 12 features, 3 heads", (_features(3, 4, 12, seed=2), 3)),
        Case("one head leaves X unchanged", (_features(2, 5, 4, seed=3), 1)),
        Case("one feature per head", (_features(2, 2, 4, seed=4), 4)),
        Case("batch 1, 1 step", (_features(1, 1, 8, seed=5), 2)),
    ]
    run_check(
        "my_transpose_qkv",
        student,
        transpose_qkv,
        cases,
        hint=(
            "reshape to (batch, steps, num_heads, head_size) first, then move the head "
            "axis next to the batch axis before merging the two; a single reshape to "
            "(batch * num_heads, steps, head_size) mixes steps and heads."
        ),
    )


def _multihead_weights(
    query_size: int, key_size: int, value_size: int, num_hiddens: int, seed: int
) -> tuple[torch.Tensor, ...]:
    """W_q, W_k, W_v, W_o as ``nn.Linear`` stores them: (out_features, in_features)."""
    return (
        _features(num_hiddens, query_size, seed=seed) / query_size**0.5,
        _features(num_hiddens, key_size, seed=seed + 1) / key_size**0.5,
        _features(num_hiddens, value_size, seed=seed + 2) / value_size**0.5,
        _features(num_hiddens, num_hiddens, seed=seed + 3) / num_hiddens**0.5,
    )


def _reference_multihead(
    queries: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    W_q: torch.Tensor,
    W_k: torch.Tensor,
    W_v: torch.Tensor,
    W_o: torch.Tensor,
    num_heads: int,
    valid_lens: torch.Tensor | None = None,
) -> torch.Tensor:
    """``MultiHeadAttention`` with the given weights (no bias, no dropout)."""
    num_hiddens = W_o.shape[0]
    mha = MultiHeadAttention(
        keys.shape[-1], queries.shape[-1], values.shape[-1], num_hiddens, num_heads
    )
    with torch.no_grad():
        for layer, weight in ((mha.W_q, W_q), (mha.W_k, W_k), (mha.W_v, W_v), (mha.W_o, W_o)):
            layer.weight.copy_(weight)
        return mha.eval()(queries, keys, values, valid_lens)


def check_my_multihead_loop(student: Callable) -> None:
    """Check ``student(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens)``.

    The student's function computes multi-head attention one head at a
    time and returns (batch, queries, num_hiddens); the weights are
    (out_features, in_features) as in ``nn.Linear``.
    """
    cases = []
    settings = [
        # description, batch, queries, keys, query_size, key_size, value_size,
        # num_hiddens, num_heads, valid_lens
        ("2 heads, no valid_lens", 2, 3, 4, 8, 8, 8, 8, 2, None),
        ("4 heads, valid_lens (batch,)", 2, 3, 5, 8, 6, 4, 8, 4, torch.tensor([2, 5])),
        ("3 heads, valid_lens (batch, queries)", 2, 3, 4, 6, 6, 6, 6, 3,
         torch.tensor([[1, 2, 3], [4, 4, 2]])),
        ("1 head", 1, 2, 3, 4, 5, 6, 4, 1, torch.tensor([2])),
        ("self-attention, 2 heads", 3, 4, 4, 8, 8, 8, 8, 2, torch.tensor([4, 1, 3])),
    ]
    for seed, setting in enumerate(settings):
        (description, batch, num_queries, num_keys, query_size, key_size, value_size,
         num_hiddens, num_heads, valid_lens) = setting
        queries = _features(batch, num_queries, query_size, seed=10 * seed)
        keys = _features(batch, num_keys, key_size, seed=10 * seed + 1)
        values = _features(batch, num_keys, value_size, seed=10 * seed + 2)
        if description.startswith("self-attention"):
            keys = values = queries
        weights = _multihead_weights(query_size, key_size, value_size, num_hiddens, 10 * seed)
        args = (queries, keys, values, *weights, num_heads, valid_lens)
        cases.append(Case(description, args))
    run_check(
        "my_multihead_loop",
        student,
        _reference_multihead,
        cases,
        hint=(
            "head h uses rows h * head_size to (h + 1) * head_size - 1 of W_q, W_k and W_v "
            "(nn.Linear computes X @ W.T); scale the scores by sqrt(head_size), not "
            "sqrt(num_hiddens); concatenate the heads' outputs along the features before W_o."
        ),
    )

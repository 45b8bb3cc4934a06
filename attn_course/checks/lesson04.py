"""Checks for the coding exercises of lesson 04 (scoring functions)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from attn_course.checks.core import Case, run_check
from attn_course.scoring import BilinearAttention, DotProductAttention


def _random(*shape: int, seed: int) -> torch.Tensor:
    """A seeded standard-normal tensor that leaves the global generator alone."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator)


def _reference_bilinear_scores(
    queries: torch.Tensor, keys: torch.Tensor, W: torch.Tensor
) -> torch.Tensor:
    """The package's bilinear scores with the given W (query_size, key_size)."""
    layer = BilinearAttention(key_size=W.shape[1], query_size=W.shape[0])
    with torch.no_grad():
        layer.W.weight.copy_(W)
        return layer.score(queries, keys)  # (batch, queries, keys)


def check_my_bilinear_scores(student: Callable) -> None:
    """Check ``student(queries, keys, W)`` against the package's bilinear scores.

    The student's function takes queries (batch, queries, query_size), keys
    (batch, keys, key_size) and W (query_size, key_size) and returns the
    scores q^T W k of shape (batch, queries, keys). Prints a verdict.
    """
    square = (_random(1, 3, 4, seed=1), _random(1, 5, 4, seed=2), _random(4, 4, seed=3))
    mixed = (_random(2, 3, 6, seed=4), _random(2, 4, 5, seed=5), _random(6, 5, seed=6))
    queries, keys = _random(2, 3, 4, seed=7), _random(2, 5, 4, seed=8)
    dot_products = torch.bmm(queries, keys.transpose(1, 2))  # (2, 3, 5)
    single = (_random(1, 1, 3, seed=9), _random(1, 1, 2, seed=10), _random(3, 2, seed=11))
    cases = [
        Case("queries and keys of the same size", args=square),
        Case("queries and keys of different sizes, batch of 2", args=mixed),
        Case("W = identity gives the dot product", args=(queries, keys, torch.eye(4)),
             expected=dot_products),
        Case("one query and one key", args=single),
    ]
    run_check(
        "my_bilinear_scores",
        student,
        _reference_bilinear_scores,
        cases,
        hint="score[b, i, j] is queries[b, i] @ W @ keys[b, j]: transform every key "
        "with W first, then take dot products with torch.bmm.",
    )


def _reference_scaled_dot_product_attention(
    queries: torch.Tensor,
    keys: torch.Tensor,
    values: torch.Tensor,
    valid_lens: torch.Tensor | None = None,
) -> torch.Tensor:
    """The package's scaled dot-product attention."""
    return DotProductAttention()(queries, keys, values, valid_lens)  # (batch, queries, d_v)


def check_my_scaled_dot_product_attention(student: Callable) -> None:
    """Check ``student(queries, keys, values, valid_lens=None)`` against the package.

    The student's function takes queries (batch, queries, d), keys
    (batch, keys, d), values (batch, keys, d_v) and valid lengths (None,
    (batch,) or (batch, queries)) and returns (batch, queries, d_v).
    Prints a verdict.
    """
    queries, keys = _random(2, 3, 8, seed=21), _random(2, 5, 8, seed=22)
    values = _random(2, 5, 3, seed=23)
    large_queries = 4 * _random(1, 2, 64, seed=24)
    large_keys, large_values = _random(1, 6, 64, seed=25), _random(1, 6, 2, seed=26)
    cases = [
        Case("no valid lengths", args=(queries, keys, values)),
        Case("one valid length per sequence, shape (batch,)",
             args=(queries, keys, values, torch.tensor([2, 4]))),
        Case("one valid length per query, shape (batch, queries)",
             args=(queries, keys, values, torch.tensor([[1, 2, 3], [5, 4, 1]]))),
        Case("d = 64, where the scale matters",
             args=(large_queries, large_keys, large_values)),
    ]
    run_check(
        "my_scaled_dot_product_attention",
        student,
        _reference_scaled_dot_product_attention,
        cases,
        hint="divide the dot products by the square root of d = queries.shape[-1], "
        "mask them with masked_softmax(scores, valid_lens), then average the values "
        "with torch.bmm.",
    )

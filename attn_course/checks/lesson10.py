"""Checks for the coding exercises of lesson 10 (attention at scale)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check

NEG_INF = float("-inf")


def _partial(scores: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(max (rows, 1), sum (rows, 1), unnormalised output (rows, d_v)) of one block of scores."""
    row_max = scores.amax(dim=-1, keepdim=True)  # (rows, 1)
    shift = row_max.masked_fill(row_max == NEG_INF, 0.0)
    P = torch.exp(scores - shift)  # (rows, block)
    return row_max, P.sum(dim=-1, keepdim=True), P @ values


def _merge(max_a, sum_a, out_a, max_b, sum_b, out_b):
    """Reference: both partials moved onto the larger maximum, then added."""
    new_max = torch.maximum(max_a, max_b)  # (rows, 1)
    shift = new_max.masked_fill(new_max == NEG_INF, 0.0)
    rescale_a, rescale_b = torch.exp(max_a - shift), torch.exp(max_b - shift)
    return new_max, sum_a * rescale_a + sum_b * rescale_b, out_a * rescale_a + out_b * rescale_b


def _merge_case(description: str, rows: int, sizes: tuple[int, int], d_v: int, seed: int,
                masked: tuple[bool, bool] = (False, False), scale: float = 1.0) -> Case:
    """Two blocks of keys of one set of rows; a masked block has every score -inf."""
    generator = torch.Generator().manual_seed(seed)
    args: list[torch.Tensor] = []
    for size, is_masked in zip(sizes, masked, strict=True):
        scores = scale * torch.randn(rows, size, generator=generator, dtype=torch.float64)
        if is_masked:
            scores = torch.full_like(scores, NEG_INF)
        values = torch.randn(size, d_v, generator=generator, dtype=torch.float64)
        args += list(_partial(scores, values))
    return Case(description, tuple(args), expected=_merge(*args))


def _diagnose_merge(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the usual mistakes: a wrong maximum, a missing rescale, a normalised output."""
    if not (isinstance(actual, (tuple, list)) and len(actual) == 3):
        return None
    if not all(isinstance(a, torch.Tensor) for a in actual):
        return None
    if any(a.shape != e.shape for a, e in zip(actual, expected, strict=True)):
        return None
    max_a, sum_a, out_a, max_b, sum_b, out_b = case.args
    finite = torch.isfinite(expected[0])
    if not torch.equal(actual[0][finite], expected[0][finite]):
        return Failure("max", "the maximum returned is not the larger of the two blocks' maxima")
    unscaled = (sum_a + sum_b, out_a + out_b)
    if all(torch.allclose(a, u) for a, u in zip(actual[1:], unscaled, strict=True)) and not (
        torch.allclose(unscaled[0], expected[1])
    ):
        return Failure("rescale", "the sum and output are the two blocks' added as they are")
    normalised = expected[2] / expected[1].masked_fill(expected[1] == 0, 1.0)
    if torch.allclose(actual[2], normalised) and not torch.allclose(normalised, expected[2]):
        return Failure("normalised", "the output is already divided by the sum")
    return None


MERGE_HINTS = {
    "max": [
        "Check the first entry you return: which maximum covers the keys of both blocks?",
        "The merged maximum must be at least each block's own maximum, row by row.",
    ],
    "rescale": [
        "Each block's sum and output were computed against its own maximum. Can you add two sums "
        "of exponentials that were shifted by different amounts?",
        "What factor turns e^(s - m_a) into e^(s - m), where m is the merged maximum?",
    ],
    "normalised": [
        "The triple stays unnormalised until the very last block: is your output divided by "
        "something it should not be yet?",
    ],
    "nan": [
        "A NaN appears when a block is fully masked (its maximum is -inf). What is -inf - (-inf)?",
        "How does online_softmax_step avoid subtracting -inf from -inf?",
    ],
}


def check_my_merge_partials(student: Callable) -> None:
    """Check ``my_merge_partials(max_a, sum_a, out_a, max_b, sum_b, out_b) -> (max, sum, out)``."""
    cases = [
        _merge_case("3 rows, blocks of 4 and 5 keys", 3, (4, 5), 2, 0),
        _merge_case("large scores (maxima far apart)", 4, (3, 6), 3, 1, scale=30.0),
        _merge_case("one row, a single key per block", 1, (1, 1), 4, 2),
        _merge_case("the second block fully masked", 2, (5, 4), 2, 3, masked=(False, True)),
        _merge_case("both blocks fully masked", 2, (3, 3), 2, 4, masked=(True, True)),
    ]
    run_check("my_merge_partials", student, None, cases, atol=1e-8, hints=MERGE_HINTS,
              diagnose=_diagnose_merge)


def _expand(K: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Reference: kv head j copied to query heads j*g .. j*g + g - 1."""
    return K.repeat_interleave(num_heads // K.shape[1], dim=1)


def _diagnose_expand(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Tell the tiled layout (heads 0, 1, 0, 1) from the grouped one (0, 0, 1, 1)."""
    K, num_heads = case.args
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None
    tiled = K.repeat(1, num_heads // K.shape[1], 1, 1)
    if torch.equal(actual, tiled) and not torch.equal(tiled, expected):
        return Failure("layout", "the right heads are there, in the wrong order")
    return None


EXPAND_HINTS = {
    "layout": [
        "Which key-value head does query head 1 read in your result, and which should it read?",
        "Key-value head j serves query heads j*g to j*g + g - 1: consecutive heads form a group. "
        "Compare a function that copies each head in place with one that copies the whole stack.",
    ],
    "shape": [
        "Which axis of K holds the heads? The result needs num_heads there, nothing else "
        "changed.",
        "Check the shape against (batch, num_heads, steps, head_size) on the case with 1 kv head.",
    ],
}


def check_my_expand_kv(student: Callable) -> None:
    """Check ``my_expand_kv(K, num_heads) -> (batch, num_heads, steps, head_size)``."""
    generator = torch.Generator().manual_seed(0)

    def case(description: str, shape: tuple[int, ...], num_heads: int) -> Case:
        K = torch.randn(*shape, generator=generator)
        return Case(description, (K, num_heads), expected=_expand(K, num_heads))

    cases = [
        case("2 kv heads for 4 query heads", (2, 2, 3, 4), 4),
        case("3 kv heads for 6 query heads, batch 1", (1, 3, 5, 2), 6),
        case("1 kv head for 4 query heads (multi-query)", (2, 1, 3, 4), 4),
        case("4 kv heads for 4 query heads (multi-head: unchanged)", (1, 4, 2, 3), 4),
    ]
    run_check("my_expand_kv", student, None, cases, hints=EXPAND_HINTS, diagnose=_diagnose_expand)


def _cache_bytes(num_layers, num_heads, num_kv_heads, head_size, steps, batch_size,
                 bytes_per_number):
    """Reference: keys and values, per layer, batch entry, kv head, step and feature."""
    return 2 * num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def _diagnose_cache(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name a missing factor 2, the query heads used for the kv heads, and a float."""
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return None
    num_layers, num_heads, num_kv_heads = case.args[:3]
    if math.isclose(actual, expected / 2):
        return Failure("keys_and_values", f"returned {actual}, half of the expected number")
    if num_heads != num_kv_heads and math.isclose(actual, expected * num_heads / num_kv_heads):
        return Failure("heads", f"returned {actual}, {num_heads // num_kv_heads} times too many")
    if not isinstance(actual, int):
        return Failure("type", f"returned a {type(actual).__name__}; a count of bytes is an int")
    return None


CACHE_HINTS = {
    "keys_and_values": [
        "What exactly does the cache store for every token, layer and head?",
        "Count the tensors a KVCache keeps per layer.",
    ],
    "heads": [
        "Which heads have their own keys and values stored: the query heads or the key-value "
        "heads?",
    ],
    "type": [
        "The number is right but it is not an int. Which operation turned it into a float?",
    ],
    "values": [
        "Which factor of the count is missing or extra? Compare with KVCache.num_bytes() of a "
        "small model whose sizes you know.",
        "List every size the stored keys and values depend on, then check that each one "
        "appears in your count exactly once.",
    ],
}


def check_my_cache_bytes(student: Callable) -> None:
    """Check ``my_cache_bytes(num_layers, num_heads, num_kv_heads, head_size, steps, ...)``."""
    cases = [
        Case("3 layers, 8 heads and 8 kv heads of 8 features, 64 steps", (3, 8, 8, 8, 64, 1, 4)),
        Case("2 kv heads for 8 query heads", (3, 8, 2, 8, 64, 1, 4)),
        Case("32 layers, 32 heads, 8 kv heads, 4096 steps, float16", (32, 32, 8, 128, 4096, 1, 2)),
        Case("multi-query, batch 16", (12, 12, 1, 64, 1024, 16, 2)),
    ]
    run_check("my_cache_bytes", student, _cache_bytes, cases, atol=0.5, hints=CACHE_HINTS,
              diagnose=_diagnose_cache)

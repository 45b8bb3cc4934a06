"""Checks for the coding exercises of lesson 11 (inference at scale)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check


def _expand(K: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Reference: kv head j copied to query heads j*g .. j*g + g - 1."""
    return K.repeat_interleave(num_heads // K.shape[1], dim=1)


def _diagnose_expand(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name each head copied num_heads times, and the tiled layout (heads 0, 1, 0, 1)."""
    K, num_heads = case.args
    if not isinstance(actual, torch.Tensor):
        return None
    num_kv_heads = K.shape[1]
    copied_too_often = (K.shape[0], num_kv_heads * num_heads, *K.shape[2:])
    if num_kv_heads > 1 and tuple(actual.shape) == copied_too_often:
        return Failure(
            "group_size",
            f"returned {actual.shape[1]} heads, not {num_heads}: each of the {num_kv_heads} "
            f"key-value heads was copied {num_heads} times",
        )
    if actual.shape != expected.shape:
        return None
    tiled = K.repeat(1, num_heads // K.shape[1], 1, 1)
    if torch.equal(actual, tiled) and not torch.equal(tiled, expected):
        return Failure("layout", "the right heads are there, in the wrong order")
    return None


EXPAND_HINTS = {
    "group_size": [
        "How many query heads does one key-value head serve, when num_kv_heads of them serve "
        "num_heads query heads?",
        "Count the heads of your result on the case with 2 kv heads for 4 query heads, and the "
        "heads it should have.",
    ],
    "layout": [
        "Which key-value head does query head 1 read in your result, and which should it read?",
        "Key-value head j serves query heads j*g to j*g + g - 1: consecutive heads form a group. "
        "Compare a function that copies each head in place with one that copies the whole stack.",
    ],
    "shape": [
        "Which axis of K holds the heads? The result needs num_heads there, nothing else changed.",
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


def _cache_bytes(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    """Reference: keys and values, per layer, batch entry, kv head, step and feature."""
    return 2 * num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def _diagnose_cache(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name a missing factor 2, the query heads used for the kv heads, another whole factor
    missing or extra, a float, and any other count."""
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return None
    num_layers, num_heads, num_kv_heads = case.args[:3]
    if math.isclose(actual, expected / 2):
        return Failure("keys_and_values", f"returned {actual}, half of the expected number")
    if num_heads != num_kv_heads and math.isclose(actual, expected * num_heads / num_kv_heads):
        return Failure("heads", f"returned {actual}, {num_heads // num_kv_heads} times too many")
    if actual > 0 and not math.isclose(actual, expected):
        ratio = max(actual, expected) / min(actual, expected)
        if math.isclose(ratio, round(ratio)):
            how = "too many" if actual > expected else "too few"
            shown = f"{actual:,}" if isinstance(actual, int) else repr(actual)
            return Failure("factor", f"returned {shown}, {round(ratio)} times {how}")
    if not isinstance(actual, int):
        return Failure("type", f"returned a {type(actual).__name__}; a count of bytes is an int")
    if actual != expected:
        return Failure(
            "values", f"returned {actual}, not a whole multiple or fraction of the right count"
        )
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
    "factor": [
        "Your count is off by the whole factor named in the failing case. Which size of that "
        "case has that value?",
        "Change one size at a time in a small TinyDecoder and watch KVCache.num_bytes(): "
        "which change does your count not follow, or follow twice?",
    ],
    "values": [
        "Your count is not off by a whole factor. Do you add sizes where they should multiply?",
        "List every size the stored keys and values depend on, then check that each one "
        "appears in your count exactly once, as a factor.",
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
    run_check(
        "my_cache_bytes",
        student,
        _cache_bytes,
        cases,
        atol=0.5,
        hints=CACHE_HINTS,
        diagnose=_diagnose_cache,
    )

"""Checks for the coding exercises of lesson 03 (masked softmax).

- ``check_my_masked_softmax(my_masked_softmax)``: a masked softmax for one
  valid length per sequence, with all-zero rows where nothing is valid.
- ``check_my_causal_mask(my_causal_mask)``: the boolean causal mask.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from attn_course.checks.core import Case, evaluate, report
from attn_course.masking import causal_mask, masked_softmax


def _masked_softmax_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(5)
    return [
        Case(
            "the lesson's example: (2, 2, 4) scores, lengths [2, 3]",
            (torch.rand(2, 2, 4, generator=generator), torch.tensor([2, 3])),
        ),
        Case(
            "full lengths give the plain softmax",
            (torch.randn(2, 3, 4, generator=generator), torch.tensor([4, 4])),
        ),
        Case(
            "a length of 0 gives an all-zero row",
            (torch.randn(2, 3, 5, generator=generator), torch.tensor([0, 5])),
        ),
        Case(
            "large scores (up to 200)",
            (200 * torch.rand(3, 2, 4, generator=generator), torch.tensor([3, 1, 4])),
        ),
    ]


def _input_after_call(student: Callable) -> Callable:
    """Wrap ``student`` so that it returns its first argument after the call."""

    def call(X: torch.Tensor, valid_lens: torch.Tensor) -> torch.Tensor:
        student(X, valid_lens)
        return X

    return call


def check_my_masked_softmax(student: Callable) -> None:
    """Check ``student(X, valid_lens)``: X (batch, queries, keys), valid_lens (batch,).

    Compares with ``attn_course.masking.masked_softmax`` on several inputs and
    checks that ``X`` is left unchanged. Prints a verdict; returns None.
    """
    results = evaluate(student, masked_softmax, _masked_softmax_cases())
    if results is not None:
        X = torch.rand(2, 2, 3, generator=torch.Generator().manual_seed(6))
        lengths = torch.tensor([1, 2])
        unchanged = Case("leaves its input X unchanged", (X, lengths), expected=X.clone())
        results += evaluate(_input_after_call(student), None, [unchanged]) or []
    report(
        "my_masked_softmax",
        results,
        hint=(
            "fill the padded scores of a copy with -inf before torch.softmax, then give rows "
            "with no valid key zeros instead of 0/0 (for example by multiplying by the mask)."
        ),
    )


def _result_dtype(student: Callable) -> Callable:
    """Wrap ``student`` so that it returns the dtype of its result."""

    def call(num_queries: int, num_keys: int) -> torch.dtype:
        return student(num_queries, num_keys).dtype

    return call


def _causal_mask_cases() -> list[Case]:
    return [
        Case("4 queries, 4 keys", (4, 4)),
        Case("1 query, 1 key", (1, 1)),
        Case("3 queries, 5 keys", (3, 5)),
        Case("5 queries, 3 keys", (5, 3)),
    ]


def check_my_causal_mask(student: Callable) -> None:
    """Check ``student(num_queries, num_keys)`` -> bool (num_queries, num_keys) causal mask.

    Prints a verdict; returns None.
    """
    results = evaluate(student, causal_mask, _causal_mask_cases())
    if results is not None:
        dtype_case = Case("returns a bool tensor", (3, 3), expected=torch.bool)
        results += evaluate(_result_dtype(student), None, [dtype_case]) or []
    report(
        "my_causal_mask",
        results,
        hint=(
            "entry [i, j] is True when query i may look at key j, that is when key j does not "
            "come after position i (the diagonal included); compare two torch.arange's."
        ),
    )

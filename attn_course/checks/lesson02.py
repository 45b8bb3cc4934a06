"""Checks for the coding exercises of lesson 02 (attention heatmaps).

- ``check_my_row_normalize(my_row_normalize)``: scale each row of a
  non-negative matrix so that it sums to 1.
- ``check_my_most_attended(my_most_attended)``: the index of the most attended
  key for every query.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from attn_course.checks.core import Case, run_check


def _row_normalize(matrix: torch.Tensor) -> torch.Tensor:
    """Reference: divide every row (last axis) by its sum."""
    return matrix / matrix.sum(dim=-1, keepdim=True)  # (..., queries, keys)


def _most_attended(weights: torch.Tensor) -> torch.Tensor:
    """Reference: the index of the largest weight of every row."""
    return weights.argmax(dim=-1)  # (..., queries)


def _row_normalize_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(3)
    return [
        Case("a 2 x 3 matrix", (torch.tensor([[1.0, 1.0, 2.0], [0.0, 3.0, 1.0]]),)),
        Case("rows of very different sizes", (torch.tensor([[0.001, 0.003], [500.0, 1500.0]]),)),
        Case("a row with a single non-zero entry", (torch.tensor([[0.0, 0.0, 7.0, 0.0]]),)),
        Case("a (batch, queries, keys) stack", (torch.rand(2, 3, 5, generator=generator),)),
        Case("a (rows, cols, queries, keys) grid", (torch.rand(2, 2, 4, 3, generator=generator),)),
    ]


def check_my_row_normalize(student: Callable) -> None:
    """Check ``student(matrix)``: rows of a non-negative (..., queries, keys) tensor sum to 1.

    Prints a verdict; returns None.
    """
    run_check(
        "my_row_normalize",
        student,
        _row_normalize,
        _row_normalize_cases(),
        hint=(
            "divide each row by its own sum, taken over the last axis (the keys); keep that "
            "axis in the sum so the division broadcasts, and let it work for any leading axes."
        ),
    )


def _most_attended_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(4)
    peaked = torch.softmax(torch.randn(4, 6, generator=generator) / 0.3, dim=-1)  # (4, 6)
    return [
        Case("the identity pattern", (torch.eye(5),)),
        Case("a peaked 4 x 6 matrix", (peaked,)),
        Case("every query looks at the last key", (torch.tensor([[0.1, 0.2, 0.7]] * 3),)),
        Case(
            "a batch of matrices (batch, queries, keys)",
            (torch.softmax(torch.randn(3, 2, 5, generator=generator), dim=-1),),
        ),
    ]


def check_my_most_attended(student: Callable) -> None:
    """Check ``student(weights)``: (..., queries, keys) -> (..., queries) key indices.

    Prints a verdict; returns None.
    """
    run_check(
        "my_most_attended",
        student,
        _most_attended,
        _most_attended_cases(),
        hint=(
            "each query is a row; its most attended key is the column of that row's "
            "largest weight, so reduce over the last axis and keep the position, not the value."
        ),
    )

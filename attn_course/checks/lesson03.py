"""Checks for the coding exercises of lesson 03 (masked softmax).

- ``check_my_masked_softmax(my_masked_softmax)``: a masked softmax for valid lengths of
  shape (batch,) or (batch, queries), with all-zero rows where nothing is valid.
- ``check_my_causal_mask(my_causal_mask)``: the boolean causal mask.

Each check names the case, the entry and the property that fails (NaN on an empty row,
weight on padding, rows that do not sum to one, the wrong axis, the input changed in
place, a transposed mask ...) and stages its hints by how often that kind failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check
from attn_course.masking import causal_mask, length_mask, masked_softmax


def _masked_softmax_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(5)

    def rand(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return scale * torch.randn(*shape, generator=generator)

    return [
        Case(
            "one length per sequence, shape (batch,): lengths [2, 3]",
            (rand(2, 2, 4), torch.tensor([2, 3])),
        ),
        Case(
            "one length per query, shape (batch, queries)",
            (rand(2, 3, 4), torch.tensor([[1, 2, 4], [3, 3, 2]])),
        ),
        Case("full lengths give the plain softmax", (rand(2, 3, 4), torch.tensor([4, 4]))),
        Case("a sequence of length 0 gives all-zero rows", (rand(2, 3, 5), torch.tensor([0, 5]))),
        Case(
            "one query of length 0 among others, shape (batch, queries)",
            (rand(1, 3, 4), torch.tensor([[2, 0, 4]])),
        ),
        Case("large scores (up to 200)", (rand(3, 2, 4, scale=70.0), torch.tensor([3, 1, 4]))),
    ]


def _visible(case: Case) -> torch.Tensor:
    """(batch, queries, keys) bool: the keys each query may see in this case."""
    X, valid_lens = case.args
    lens = valid_lens if valid_lens.dim() == 2 else valid_lens.unsqueeze(1).expand(X.shape[:2])
    return length_mask(lens, X.shape[-1])


def _first(mask: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in mask.nonzero()[0])


def _diagnose_masked_softmax(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the property a wrong masked softmax breaks, or None to let compare() decide."""
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None
    if not actual.is_floating_point():
        return None
    visible = _visible(case)  # (batch, queries, keys)
    has_key = visible.any(-1)  # (batch, queries)
    bad = ~torch.isfinite(actual)
    rows_ok = ((actual.sum(-1) - 1).abs() < 1e-4) | ~has_key  # NaN sums are not ok
    column_sums = actual.nan_to_num(0.0).sum(-2)  # (batch, keys)
    seen = visible.any(-2)  # (batch, keys): keys that some query may see
    if not rows_ok.all() and ((column_sums - 1).abs() < 1e-4)[seen].all():
        return Failure(
            "axis",
            "the weights sum to 1 down each column (over the queries), "
            "not along each row (over the keys)",
        )
    if (bad.any(-1) & ~has_key).any():
        b, q = _first(bad.any(-1) & ~has_key)
        return Failure(
            "nan",
            f"row (batch {b}, query {q}) has no visible key and came out "
            f"{float(actual[b, q, 0])} instead of all zeros",
        )
    if bad.any():
        b, q, k = _first(bad)
        return Failure(
            "overflow",
            f"entry {(b, q, k)} is {float(actual[b, q, k])}, in a row "
            f"with {int(visible[b, q].sum())} visible keys",
        )
    if ((actual.abs() > 1e-6) & ~has_key.unsqueeze(-1)).any():
        b, q = _first((actual.abs() > 1e-6).any(-1) & ~has_key)
        return Failure(
            "empty_row",
            f"row (batch {b}, query {q}) has no visible key but its "
            f"weights sum to {float(actual[b, q].sum()):.3g}, not 0",
        )
    padding = (actual.abs() > 1e-6) & ~visible & has_key.unsqueeze(-1)
    if padding.any():
        b, q, k = _first(padding)
        return Failure(
            "padding",
            f"key {k} of row (batch {b}, query {q}) is past the valid "
            f"length {int(visible[b, q].sum())} but gets weight "
            f"{float(actual[b, q, k]):.3g}",
        )
    sums = actual.sum(-1)  # (batch, queries)
    off = ((sums - 1).abs() > 1e-4) & has_key
    if off.any():
        b, q = _first(off)
        return Failure("rows", f"row (batch {b}, query {q}) sums to {float(sums[b, q]):.4g}, not 1")
    return None


MASKED_SOFTMAX_HINTS = {
    "nan": [
        "A row with no visible key came out NaN. What is a softmax of a row in which every "
        "score is -inf?",
        "0/0 is NaN. Such a row has nothing to average: which value should each of its "
        "weights have, and how can your code give it without dividing by zero?",
    ],
    "overflow": [
        "A row that does have visible keys came out inf or NaN, and its scores are large. "
        "What is exp(200) in float32?",
        "A softmax does not change when the same number is subtracted from every score of a "
        "row. Which number keeps every exponent at most 0?",
    ],
    "empty_row": [
        "A row with no visible key got weights that are not zero. Where did its weight go, "
        "and which values would the output then average?",
        "If every score of a row is the same very negative number, what does a softmax of "
        "that row give? The exercise asks for exact zeros there.",
    ],
    "padding": [
        "A key past the valid length still gets weight. Is the mask applied before the "
        "softmax, and does it cover every query of the sequence?",
        "For lengths of shape (batch, queries), each query has its own length. Compare the "
        "mask you build with the shape (batch, queries, keys) of the scores.",
    ],
    "rows": [
        "Some rows do not sum to 1. Is the softmax taken over the visible keys only, or are "
        "the padded weights removed after normalising?",
        "Zeroing weights after a softmax leaves the others as they were: they no longer sum "
        "to 1. Where must the masking happen instead?",
    ],
    "axis": [
        "Your weights sum to 1 over the wrong axis. Over which axis of (batch, queries, keys) "
        "does each query distribute its attention?",
    ],
    "shape": [
        "The result has the wrong shape. Lengths may come as (batch,) or as (batch, queries): "
        "does your mask broadcast against (batch, queries, keys) in both cases?",
        "Print the mask's shape for a (batch,) case and for a (batch, queries) case and "
        "compare each with the scores' shape, axis by axis.",
    ],
    "raised": [
        "Your function raised an error on this case. Does it accept valid lengths of shape "
        "(batch, queries) as well as (batch,)?",
        "Print the shape of every intermediate tensor for the failing case; which line "
        "receives a shape it does not expect?",
    ],
}


def check_my_masked_softmax(student: Callable) -> None:
    """Check ``student(X, valid_lens)``: X (batch, queries, keys), valid_lens (batch,) or
    (batch, queries).

    Compares with ``attn_course.masking.masked_softmax`` on several inputs, checks that
    ``X`` is left unchanged, and names the property that fails. Prints a verdict.
    """
    run_check(
        "my_masked_softmax",
        student,
        masked_softmax,
        _masked_softmax_cases(),
        hints=MASKED_SOFTMAX_HINTS,
        diagnose=_diagnose_masked_softmax,
    )


def _causal_mask_cases() -> list[Case]:
    return [
        Case("4 queries, 4 keys", (4, 4)),
        Case("1 query, 1 key", (1, 1)),
        Case("3 queries, 5 keys", (3, 5)),
        Case("5 queries, 3 keys", (5, 3)),
    ]


def _diagnose_causal_mask(actual: Any, expected: Any, case: Case) -> Failure | None:
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None
    if actual.dtype != torch.bool:
        return Failure("dtype", f"returned dtype {actual.dtype}; a mask is a bool tensor")
    if torch.equal(actual, expected):
        return None
    num_queries, num_keys = case.args
    if torch.equal(actual, torch.ones(num_queries, num_keys, dtype=torch.bool).triu()):
        return Failure("transposed", "True above the diagonal: query i sees the keys after it")
    if torch.equal(actual, expected & ~torch.eye(num_queries, num_keys, dtype=torch.bool)):
        return Failure("diagonal", "the diagonal is False: query i does not see key i")
    wrong = actual != expected
    i, j = _first(wrong)
    return Failure(
        "values", f"entry [{i}, {j}] is {bool(actual[i, j])}, expected {bool(expected[i, j])}"
    )


CAUSAL_MASK_HINTS = {
    "transposed": [
        "Your mask lets a query see the future. In row i, which columns j come before or at "
        "position i?",
        "Rows are queries and columns are keys: entry [i, j] says whether query i may look at "
        "key j. Which triangle of the matrix is that?",
    ],
    "diagonal": [
        "Your mask hides the diagonal. May position i look at itself?",
        "With the diagonal hidden, what would query 0 see at all, and what would its softmax "
        "row be?",
    ],
    "dtype": [
        "The pattern may be right but a mask is a bool tensor. Which dtype does your "
        "construction produce?",
        "masked_fill and ~ expect booleans; a comparison of two tensors gives one directly.",
    ],
    "shape": [
        "The shape is wrong. The mask has one row per query and one column per key; do your "
        "sizes follow both arguments, also when they differ?",
    ],
}


def check_my_causal_mask(student: Callable) -> None:
    """Check ``student(num_queries, num_keys)`` -> bool (num_queries, num_keys) causal mask.

    Prints a verdict; returns None.
    """
    run_check(
        "my_causal_mask",
        student,
        causal_mask,
        _causal_mask_cases(),
        hints=CAUSAL_MASK_HINTS,
        diagnose=_diagnose_causal_mask,
    )

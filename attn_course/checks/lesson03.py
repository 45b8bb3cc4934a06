"""Checks for the coding exercises of lesson 03 (masked softmax).

- ``check_my_masked_softmax(my_masked_softmax)``: a masked softmax for valid lengths of
  shape (batch,) or (batch, queries), with all-zero rows where nothing is valid and a
  finite gradient.
- ``check_my_causal_mask(my_causal_mask)``: the boolean causal mask.
- ``check_my_pad_weight(my_pad_weight)``: the predicted average weight a plain softmax
  puts on the padding, compared with the exact value and then with a simulation.

Each check names the case, the entry and the property that fails (NaN on an empty row,
weight on padding, an off-by-one length, rows that do not sum to one, the wrong axis, a
NaN gradient, the input changed in place, a transposed mask, the real tokens' share
instead of the padding's ...) and stages its hints by how often that kind failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, evaluate, report, run_check
from attn_course.masking import causal_mask, length_mask, masked_softmax


def _masked_softmax_cases() -> list[Case]:
    generator = torch.Generator().manual_seed(5)

    def rand(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return scale * torch.randn(*shape, generator=generator)

    return [
        Case("one length per sequence, shape (batch,): lengths [2, 3]",
             (rand(2, 2, 4), torch.tensor([2, 3]))),
        Case("one length per query, shape (batch, queries)",
             (rand(2, 3, 4), torch.tensor([[1, 2, 4], [3, 3, 2]]))),
        Case("full lengths give the plain softmax", (rand(2, 3, 4), torch.tensor([4, 4]))),
        Case("a sequence of length 0 gives all-zero rows", (rand(2, 3, 5), torch.tensor([0, 5]))),
        Case("one query of length 0 among others, shape (batch, queries)",
             (rand(1, 3, 4), torch.tensor([[2, 0, 4]]))),
        Case("large scores (up to 200)", (rand(3, 2, 4, scale=70.0), torch.tensor([3, 1, 4]))),
        Case("the gradient with respect to X, a sequence of length 0 included",
             (rand(2, 3, 4), torch.tensor([0, 3])), {"upstream": rand(2, 3, 4)}),
    ]


def _with_gradient(function: Callable) -> Callable:
    """function(X, valid_lens), or, given an upstream gradient, the gradient it sends to X."""

    def run(X: torch.Tensor, valid_lens: torch.Tensor, upstream: Any = None) -> Any:
        if upstream is None:
            return function(X, valid_lens)
        X = X.detach().clone().requires_grad_()
        weights = function(X, valid_lens)
        if not isinstance(weights, torch.Tensor) or not weights.requires_grad:
            return torch.zeros_like(X)  # no path back to X: diagnosed as a gradient of 0
        (weights * upstream).sum().backward()
        return X.grad if X.grad is not None else torch.zeros_like(X)

    return run


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
    if case.kwargs.get("upstream") is not None:  # actual is the gradient with respect to X
        return _diagnose_gradient(actual, expected, has_key)
    bad = ~torch.isfinite(actual)
    rows_ok = ((actual.sum(-1) - 1).abs() < 1e-4) | ~has_key  # NaN sums are not ok
    column_sums = actual.nan_to_num(0.0).sum(-2)  # (batch, keys)
    seen = visible.any(-2)  # (batch, keys): keys that some query may see
    if not rows_ok.all() and ((column_sums - 1).abs() < 1e-4)[seen].all():
        return Failure("axis", "the weights sum to 1 down each column (over the queries), "
                               "not along each row (over the keys)")
    if (bad.any(-1) & ~has_key).any():
        b, q = _first(bad.any(-1) & ~has_key)
        return Failure("nan", f"row (batch {b}, query {q}) has no visible key and came out "
                              f"{float(actual[b, q, 0])} instead of all zeros")
    if bad.any():
        b, q, k = _first(bad)
        return Failure("overflow", f"entry {(b, q, k)} is {float(actual[b, q, k])}, in a row "
                                   f"with {int(visible[b, q].sum())} visible keys")
    if ((actual.abs() > 1e-6) & ~has_key.unsqueeze(-1)).any():
        b, q = _first((actual.abs() > 1e-6).any(-1) & ~has_key)
        return Failure("empty_row", f"row (batch {b}, query {q}) has no visible key but its "
                                    f"weights sum to {float(actual[b, q].sum()):.3g}, not 0")
    padding = (actual.abs() > 1e-6) & ~visible & has_key.unsqueeze(-1)
    lens = visible.sum(-1, keepdim=True)  # (batch, queries, 1)
    first_past = torch.arange(actual.shape[-1]) == lens  # (batch, queries, keys)
    if padding.any() and not (padding & ~first_past).any():
        b, q, k = _first(padding)
        return Failure("off_by_one", f"key {k} of row (batch {b}, query {q}), the first key past "
                                     f"its valid length {k}, gets weight "
                                     f"{float(actual[b, q, k]):.3g}; the keys after it get none")
    if padding.any():
        b, q, k = _first(padding)
        return Failure("padding", f"key {k} of row (batch {b}, query {q}) is past the valid "
                                  f"length {int(visible[b, q].sum())} but gets weight "
                                  f"{float(actual[b, q, k]):.3g}")
    sums = actual.sum(-1)  # (batch, queries)
    off = ((sums - 1).abs() > 1e-4) & has_key
    if off.any():
        b, q = _first(off)
        return Failure("rows", f"row (batch {b}, query {q}) sums to {float(sums[b, q]):.4g}, "
                               "not 1")
    return None


def _diagnose_gradient(grad: torch.Tensor, expected: torch.Tensor,
                       has_key: torch.Tensor) -> Failure | None:
    """Name what is wrong with the gradient a student's masked softmax sends back to X."""
    bad = ~torch.isfinite(grad)
    if bad.any():
        b, q, k = _first(bad)
        where = "has no visible key" if not has_key[b, q] else "has visible keys"
        return Failure("gradient", f"the gradient with respect to X is {float(grad[b, q, k])} "
                                   f"at {(b, q, k)}, in a row that {where}")
    if not grad.any() and expected.any():
        return Failure("gradient", "the gradient with respect to X is 0 everywhere: is the "
                                   "result detached from X?")
    difference = (grad - expected).abs()
    if float(difference.max()) > 1e-5:
        b, q, k = _first(difference == difference.max())
        return Failure("gradient", f"the gradient with respect to X differs from the "
                                   f"reference by {float(difference.max()):.3g} at {(b, q, k)}")
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
    "off_by_one": [
        "Only the first key past each valid length gets weight. For a valid length of 2, which "
        "positions are real: 0 and 1, or 0, 1 and 2?",
        "Write out the mask your code builds for a valid length of 2 and 4 keys, and compare it "
        "with [True, True, False, False]. Which comparison gives exactly that?",
    ],
    "gradient": [
        "Your weights are right, but the backward pass is not. Which step of your code computes "
        "a NaN (or a value detached from X) that a later step hides from the output?",
        "A NaN replaced after the softmax is gone from the weights, but the backward pass still "
        "runs through that row's softmax and multiplies by 0 there: 0 x NaN is NaN. Which of "
        "your steps passes that NaN on to X, and can an empty row avoid 0/0 before the softmax?",
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

    Compares with ``attn_course.masking.masked_softmax`` on several inputs and on the
    gradient a backward pass sends to ``X``, checks that ``X`` is left unchanged, and names
    the property that fails. Prints a verdict.
    """
    run_check("my_masked_softmax", _with_gradient(student), _with_gradient(masked_softmax),
              _masked_softmax_cases(), hints=MASKED_SOFTMAX_HINTS,
              diagnose=_diagnose_masked_softmax)


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
    return Failure("values", f"entry [{i}, {j}] is {bool(actual[i, j])}, expected "
                             f"{bool(expected[i, j])}")


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
    run_check("my_causal_mask", student, causal_mask, _causal_mask_cases(),
              hints=CAUSAL_MASK_HINTS, diagnose=_diagnose_causal_mask)


# --- exercise 3: how much weight does padding take? ---------------------------------------

PAD_WEIGHT_CASES = [(3, 3), (2, 5), (6, 0), (2, 8), (0, 4)]  # (num_real, num_pad)
SIMULATED_ROWS = 20_000
PAD_WEIGHT_TOLERANCE = 1e-3  # three decimals


def _keys(count: int, kind: str) -> str:
    return f"{count} {kind} key" + ("" if count == 1 else "s")


def _pad_weight_cases() -> list[Case]:
    return [
        Case(f"{_keys(num_real, 'real')}, {_keys(num_pad, '<pad>')}", (num_real, num_pad),
             expected=num_pad / (num_real + num_pad))
        for num_real, num_pad in PAD_WEIGHT_CASES
    ]


def simulated_pad_weight(num_real: int, num_pad: int, rows: int = SIMULATED_ROWS) -> float:
    """The mean weight on the last num_pad keys of rows of standard normal scores, unmasked."""
    generator = torch.Generator().manual_seed(0)
    scores = torch.randn(rows, num_real + num_pad, generator=generator, dtype=torch.float64)
    weights = torch.softmax(scores, dim=-1)  # (rows, keys)
    return float(weights[:, num_real:].sum(-1).mean())


def _as_number(function: Callable) -> Callable:
    """A student's function whose one-element tensor answers count as numbers."""

    def run(*args: Any) -> Any:
        value = function(*args)
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            return float(value)
        return value

    return run


def _diagnose_pad_weight(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the mistake behind a wrong predicted padding weight, or None."""
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return None
    num_real, num_pad = case.args
    total = num_real + num_pad
    value = float(actual)
    if abs(value - expected) <= PAD_WEIGHT_TOLERANCE:
        return None

    def close(target: float) -> bool:
        return abs(value - target) <= PAD_WEIGHT_TOLERANCE

    if num_pad > 0 and close(0.0):
        return Failure("zero", f"returned 0 for {num_pad} <pad> keys, but nothing is masked")
    if close(num_real / total):
        return Failure("swapped", f"returned {value:.3f}, the share of the {num_real} real keys, "
                                  f"not of the {num_pad} <pad> keys")
    if num_real > 0 and close(num_pad / num_real):
        return Failure("ratio", f"returned {value:.3f}, the number of pads per real key; a "
                                "weight is a share of the whole row")
    if num_pad > 1 and close(1 / total):
        return Failure("one_pad", f"returned {value:.3f}, the expected weight of one <pad> key; "
                                  f"there are {num_pad}")
    if not 0.0 <= value <= 1.0:
        return Failure("range", f"returned {value:.4g}, but a total weight lies between 0 and 1")
    return None


PAD_WEIGHT_HINTS = {
    "zero": [
        "Your function says the padding gets no weight. Is anything masked in this exercise?",
        "Without a mask, a <pad> key's score is an ordinary number, drawn like every other "
        "score. Can its weight be 0?",
    ],
    "swapped": [
        "Your value is the real keys' share of the row. Which keys does the exercise ask about?",
        "Try 1 real key and 5 pads: should most of the weight sit on the word or on the padding?",
    ],
    "ratio": [
        "Your value compares the pads with the real keys. A weight is a share of the whole row: "
        "what is the whole?",
        "With 3 real keys and 3 pads your value is 1: every bit of weight on the pads. Can that "
        "be the average when all six scores are drawn alike?",
    ],
    "one_pad": [
        "Your value is right for a single <pad> key. The exercise asks for all the padding of "
        "the row together.",
    ],
    "range": [
        "A weight lies between 0 and 1. Which step of your formula leaves that range?",
    ],
    "values": [
        "Every score is drawn from the same distribution. What does that say about the average "
        "weight of one key compared with another?",
        "The average weights of the keys of a row are equal to one another. What do they add "
        "up to?",
    ],
    "raised": [
        "Your function raised an error. Does it handle a row that has no real key at all?",
    ],
    "type": [
        "Return a number (a Python float), not a list or a string.",
    ],
}


def check_my_pad_weight(student: Callable) -> None:
    """Check ``student(num_real, num_pad)``: the expected total weight on the padding.

    Compares with the exact value to 3 decimals on several rows and names the mistake
    (the real keys' share, pads per real key, one pad's share, 0). Once every case
    passes, prints the prediction beside a simulation of random rows. Prints a verdict.
    """
    name = "my_pad_weight"
    results = evaluate(_as_number(student), None, _pad_weight_cases(),
                       atol=PAD_WEIGHT_TOLERANCE, diagnose=_diagnose_pad_weight)
    report(name, results, hints=PAD_WEIGHT_HINTS)
    if results is None or not all(result.passed for result in results):
        return
    lines = [
        f"  {num_real} real, {num_pad} <pad>: predicted "
        f"{float(_as_number(student)(num_real, num_pad)):.3f}, "
        f"simulated {simulated_pad_weight(num_real, num_pad):.3f}"
        for num_real, num_pad in PAD_WEIGHT_CASES
    ]
    print(f"Your prediction beside a simulation of {SIMULATED_ROWS:,} rows of standard normal "
          "scores:", *lines, sep="\n")

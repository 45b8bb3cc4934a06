"""Checks for the coding exercises of lesson 07 (self-attention compared with CNNs and RNNs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attn_course.checks.core import Case, Failure, run_check

LAYER_NAMES = ("Conv1d", "GRU", "self-attention")


def _multiply_adds(num_steps: int, num_hiddens: int, kernel_size: int) -> tuple[int, int, int]:
    """Reference: (Conv1d, GRU, self-attention layer) multiply-adds, biases and softmax ignored."""
    n, d, k = num_steps, num_hiddens, kernel_size
    conv = k * n * d * d  # k matrices d x d per output position
    gru = 6 * n * d * d  # 3 gates, each with an input and a hidden d x d matrix
    attention = 3 * n * d * d + 2 * n * n * d  # W_q, W_k, W_v, then Q K^T and weights @ V
    return conv, gru, attention


def _ratio(actual: float, expected: float) -> str:
    """'3 times too small', 'off by 12' ...: how a count misses, without giving it away."""
    if actual > 0 and expected > 0:
        for factor in (2, 3, 4, 6):
            if actual * factor == expected:
                return f"{factor} times too small"
            if actual == expected * factor:
                return f"{factor} times too large"
    return "too large" if actual > expected else "too small"


def _diagnose_multiply_adds(actual: Any, expected: tuple, case: Case) -> Failure | None:
    """Name the layer whose count is wrong, and how it misses."""
    if isinstance(actual, list):
        actual = tuple(actual)
    if not isinstance(actual, tuple):
        kind = type(actual).__name__
        return Failure("type", f"returned a {kind}, expected a tuple of three ints")
    if len(actual) != 3:
        count = len(actual)
        return Failure("shape", f"returned {count} entries, expected 3 (Conv1d, GRU, attention)")
    for position, (value, wanted) in enumerate(zip(actual, expected, strict=True)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return Failure("type", f"entry {position} is a {type(value).__name__}, not a number")
        if value != wanted:
            kind = ("conv", "gru", "attention")[position]
            name = LAYER_NAMES[position]
            return Failure(kind, f"entry {position} ({name}) is {_ratio(value, wanted)}")
    return None


MULTIPLY_ADD_HINTS = {
    "conv": [
        "Your Conv1d count is off. For one output position, how many d x d matrices does the "
        "kernel apply, and to which inputs?",
        "One d x d matrix times a vector costs d * d multiply-adds. Count them for one output "
        "position first, then for all n positions.",
    ],
    "gru": [
        "Your GRU count is off. How many gates does a GRU have, and how many d x d matrices does "
        "each one multiply at every step?",
        "Each gate looks at the input x_t and at the previous state h_(t-1), each through its own "
        "matrix. Count one step, then n steps.",
    ],
    "attention": [
        "Your self-attention count is off. Did you count the projections as well as the products "
        "between positions?",
        "Write down the shapes: X W_q is (n x d) times (d x d); Q K^T is (n x d) times (d x n); "
        "the weights times V is (n x n) times (n x d). A product (a x b)(b x c) costs a * b * c.",
    ],
    "type": [
        "Return one tuple of three numbers, in the order (Conv1d, GRU, self-attention).",
    ],
    "shape": [
        "How many layers does the exercise ask about? Return one count for each, in a tuple.",
    ],
}


def check_my_multiply_adds(student: Callable) -> None:
    """Check ``my_multiply_adds(num_steps, num_hiddens, kernel_size) -> (conv, gru, attention)``."""
    cases = [
        Case("n=10, d=4, k=3", (10, 4, 3)),
        Case("a single token of size 1", (1, 1, 3)),
        Case("n=128, d=64, k=5", (128, 64, 5)),
        Case("n=1000, d=512, k=7 (long and wide)", (1000, 512, 7)),
    ]
    run_check(
        "my_multiply_adds",
        student,
        _multiply_adds,
        cases,
        hints=MULTIPLY_ADD_HINTS,
        diagnose=_diagnose_multiply_adds,
    )


def _dilated_layers_needed(num_steps: int, kernel_size: int) -> int:
    """Reference: dilations 1, 2, 4, ...; layer l adds (k-1)/2 * 2**(l-1) positions of reach."""
    reach_per_tap = (kernel_size - 1) // 2
    layers, reach = 0, 0
    while reach < num_steps - 1:
        reach += reach_per_tap * 2**layers
        layers += 1
    return layers


def _plain_layers_needed(num_steps: int, kernel_size: int) -> int:
    """Layers of undilated convolutions: ceil((n - 1) / ((k - 1) / 2))."""
    return -(-(num_steps - 1) // ((kernel_size - 1) // 2))


def _diagnose_dilated(actual: Any, expected: int, case: Case) -> Failure | None:
    """Tell a linear count, an off-by-one and a non-integer apart."""
    if isinstance(actual, bool) or not isinstance(actual, int):
        return Failure("type", f"returned a {type(actual).__name__}, expected an int")
    if actual == expected:
        return None
    num_steps, kernel_size = case.args
    if actual == _plain_layers_needed(num_steps, kernel_size):
        return Failure("linear", f"returned {actual}, the count for convolutions without dilation")
    more = actual > expected
    if abs(actual - expected) == 1:
        word = "many" if more else "few"
        return Failure("off_by_one", f"returned {actual}: one layer too {word}")
    return Failure("values", f"returned {actual}, {'too many' if more else 'too few'} layers")


DILATED_HINTS = {
    "linear": [
        "That is the count without dilation. With dilation 2**(l-1), how far does layer l move "
        "information?",
        "Add up the reach of layers 1, 2, ..., L. Which kind of series is that sum?",
    ],
    "off_by_one": [
        "Off by one layer. Should the reach after L layers be greater than n - 1, or is equal "
        "enough? And how many layers does n = 1 need?",
        "Work n = 8 and n = 9 with k = 3 by hand: how far does output 0 see after 1, 2 and 3 "
        "layers?",
    ],
    "type": [
        "A number of layers is a whole number: return an int, rounded the right way.",
    ],
}


def check_my_dilated_layers_needed(student: Callable) -> None:
    """Check ``my_dilated_layers_needed(num_steps, kernel_size) -> int``."""
    cases = [
        Case("one token needs no layer", (1, 3)),
        Case("n=2, k=3", (2, 3)),
        Case("n=8, k=3 (reach 1 + 2 + 4 = 7)", (8, 3)),
        Case("n=9, k=3 (one past a power of two)", (9, 3)),
        Case("n=64, k=5", (64, 5)),
        Case("n=1000, k=7", (1000, 7)),
    ]
    run_check(
        "my_dilated_layers_needed",
        student,
        _dilated_layers_needed,
        cases,
        hints=DILATED_HINTS,
        diagnose=_diagnose_dilated,
    )

"""Checks for the coding exercises of lesson 07 (self-attention compared with CNNs and RNNs)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from attn_course.checks.core import Case, Failure, run_check

LAYER_NAMES = ("Conv1d", "GRU", "self-attention")


def _multiply_adds(num_steps: int, num_hiddens: int, kernel_size: int) -> tuple[int, int, int]:
    """Reference: (Conv1d, GRU, self-attention layer) multiply-adds, biases and softmax ignored."""
    n, d, k = num_steps, num_hiddens, kernel_size
    conv = k * n * d * d  # k matrices d x d per output position
    gru = 6 * n * d * d  # reset and update gates, candidate: each an input and a hidden d x d
    attention = 3 * n * d * d + 2 * n * n * d  # W_q, W_k, W_v, then Q K^T and weights @ V
    return conv, gru, attention


def _plain_numbers(student: Callable) -> Callable:
    """``student`` with integers of any kind (``numpy.int64`` ...) returned as Python ints.

    A count is right whatever integer type carries it; the checks then compare plain ints.
    Floats and bools are left alone, for the diagnosis to name.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, (tuple, list)):
            return type(value)(plain(entry) for entry in value)
        return value

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return plain(student(*args, **kwargs))

    return wrapped


def _conv_real_taps(num_steps: int, num_hiddens: int, kernel_size: int) -> int:
    """Conv1d multiply-adds if the taps that fall on the zero padding were skipped."""
    reach = (kernel_size - 1) // 2
    taps = sum(min(i + reach, num_steps - 1) - max(i - reach, 0) + 1 for i in range(num_steps))
    return taps * num_hiddens * num_hiddens


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
    for position, value in enumerate(actual):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return Failure("type", f"entry {position} is a {type(value).__name__}, not a number")
    if actual == tuple(2 * wanted for wanted in expected):
        return Failure(
            "flops",
            "every entry is 2 times the multiply-adds: a count of floating-point operations, "
            "which counts a multiply and an add separately",
        )
    n, d, k = case.args
    for position, (value, wanted) in enumerate(zip(actual, expected, strict=True)):
        if value == wanted:
            continue
        if position == 0 and value == _conv_real_taps(n, d, k) and value != n * d * d:
            return Failure(
                "padding",
                "entry 0 (Conv1d) leaves out the taps that fall on the zero padding at the "
                "ends; nn.Conv1d multiplies those zeros too",
            )
        if position == 2 and value == wanted + n * d * d:
            return Failure(
                "output_projection",
                "entry 2 (self-attention) counts one (d x d) projection too many: "
                "SelfAttentionLayer has no output projection W_o",
            )
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
        "Your GRU count is off. What does a GRU compute at every step besides its two gates, and "
        "how many d x d matrices does each of those pieces multiply?",
        "Each piece reads the input x_t and the previous state h_(t-1), each through its own "
        "matrix (nn.GRU's weight_ih_l0 and weight_hh_l0 hold them). Count one step, then n steps.",
    ],
    "attention": [
        "Your self-attention count is off. Did you count the projections as well as the products "
        "between positions?",
        "Write down the shapes: X W_q is (n x d) times (d x d); Q K^T is (n x d) times (d x n); "
        "the weights times V is (n x n) times (n x d). A product (a x b)(b x c) costs a * b * c.",
    ],
    "padding": [
        "Near the ends of the sequence some taps of the kernel fall on the zero padding. Does "
        "nn.Conv1d skip those multiplications, and which does the exercise ask you to count?",
        "Count as the layer computes: every output position applies every tap of its kernel.",
    ],
    "flops": [
        "All three counts are off by the same factor. Is one multiply-add one operation or two?",
        "FlopCounterMode and most FLOP counts count a multiply and an add separately; the "
        "exercise counts them together.",
    ],
    "output_projection": [
        "Your self-attention count includes a projection that SelfAttentionLayer does not have. "
        "Which nn.Linear layers does its __init__ create?",
        "Lesson 06's MultiHeadAttention ends with W_o; the layer of this lesson returns the "
        "attention's output as it is.",
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
        _plain_numbers(student),
        _multiply_adds,
        cases,
        hints=MULTIPLY_ADD_HINTS,
        diagnose=_diagnose_multiply_adds,
    )


def _dilated_layers_needed(num_steps: int, kernel_size: int) -> int:
    """Reference: dilations 1, 2, 4, ...; layer l reaches r * 2**(l-1) positions further.

    A same-padded kernel of odd size k reaches r = (k - 1) / 2 positions to each side at
    dilation 1, and r * 2**(l-1) at dilation 2**(l-1); output 0 sees input n - 1 once the
    reaches add up to n - 1 (``tests/test_complexity.py`` checks this on real convolutions).
    """
    return _doubling_layers_needed(num_steps, (kernel_size - 1) // 2)


def _doubling_layers_needed(num_steps: int, reach_per_layer: int) -> int:
    """Layers with dilations 1, 2, 4, ... when layer 1 moves ``reach_per_layer`` positions."""
    layers, reach = 0, 0
    while reach < num_steps - 1:
        reach += reach_per_layer * 2**layers  # layer layers + 1 has dilation 2**layers
        layers += 1
    return layers


def _plain_layers_needed(num_steps: int, kernel_size: int) -> int:
    """Layers of undilated convolutions: ceil((n - 1) / ((k - 1) / 2))."""
    return -(-(num_steps - 1) // ((kernel_size - 1) // 2))


def _smallest_power_at_least(base: int, value: int) -> int:
    """The smallest L >= 0 with base**L >= value, in integers (no rounding errors)."""
    power = 0
    while base**power < value:
        power += 1
    return power


def _base_k_counts(num_steps: int, kernel_size: int) -> set[int]:
    """Counts with a logarithm to the base k, as the paper's O(log_k n) suggests.

    ceil(log_k n), computed exactly and as ``math.ceil(math.log(n, k))`` gives it (the
    paper's entry taken as a count; exact for causal kernels, taps 0 to k - 1, with
    dilations 1, k, k^2, ...), and ceil(log_k(2n - 1)), the reaches r (1 + k + ... + k^(L-1))
    summed as if same-padded kernels with those dilations left no gaps (they do).
    """
    counts = {
        _smallest_power_at_least(kernel_size, num_steps),
        _smallest_power_at_least(kernel_size, 2 * num_steps - 1),
    }
    if num_steps > 1:
        counts.add(math.ceil(math.log(num_steps, kernel_size)))
    return counts


def _diagnose_dilated(actual: Any, expected: int, case: Case) -> Failure | None:
    """Tell apart a linear count, a logarithm to the wrong base, a wrong reach, an off-by-one."""
    if isinstance(actual, bool) or not isinstance(actual, numbers.Integral):
        return Failure("type", f"returned a {type(actual).__name__}, expected an int")
    if actual == expected:
        return None
    num_steps, kernel_size = case.args
    reach = (kernel_size - 1) // 2
    if actual == _plain_layers_needed(num_steps, kernel_size):
        return Failure("linear", f"returned {actual}, the count for convolutions without dilation")
    if actual in _base_k_counts(num_steps, kernel_size):
        return Failure(
            "log_k",
            f"returned {actual}, a count with a logarithm to the base k = {kernel_size}, like "
            "the paper's O(log_k n); these dilations double",
        )
    if kernel_size > 3 and actual == _doubling_layers_needed(num_steps, 1):
        return Failure(
            "reach",
            f"returned {actual}, the count for a kernel of size 3; this kernel has size "
            f"{kernel_size}",
        )
    if actual == _doubling_layers_needed(num_steps, 2 * reach):
        # Always one fewer than expected, which a count rounded down gives too: the case
        # n=62, k=5 comes first, where only the rounded-down count fails.
        return Failure(
            "reach",
            f"returned {actual}, one layer too few: the count if one layer moved information "
            f"{2 * reach} positions towards input n - 1 at dilation 1 (or a count rounded down)",
        )
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
    "log_k": [
        "The paper's O(log_k n) is an order of growth, not a count for this stack. Here the "
        "dilations double: after 1, 2 and 3 layers, how far does output 0 see?",
        "Work n = 8 with k = 3 by hand: which inputs does output 0 see after each layer? Which "
        "base does the logarithm of your count then have?",
    ],
    "reach": [
        "How many positions towards input n - 1 does one layer of kernel size k move "
        "information at dilation 1? Only the taps on one side of the centre lead there.",
        "Work n = 100 with k = 5 by hand: how far does output 0 see after 1, 2 and 3 layers?",
    ],
    "off_by_one": [
        "Off by one layer. Should the reach after L layers be greater than n - 1, or is equal "
        "enough? And how many layers does n = 1 need?",
        "Work n = 8 and n = 33 with k = 3 by hand: how far does output 0 see after each layer?",
    ],
    "type": [
        "A number of layers is a whole number: return an int, rounded the right way.",
    ],
}


def check_my_dilated_layers_needed(student: Callable) -> None:
    """Check ``my_dilated_layers_needed(num_steps, kernel_size) -> int``."""
    # Chosen so that every wrong answer the hints name fails on a case of its own, with a
    # value no other wrong answer gives there (tests/exercise_answers/lesson07.py).
    cases = [
        Case("one token needs no layer", (1, 3)),
        Case("n=8, k=3 (reach 1 + 2 + 4 = 7)", (8, 3)),
        Case("n=62, k=5", (62, 5)),
        Case("n=33, k=3 (one past a power of two)", (33, 3)),
        Case("n=100, k=5 (reach 2 at dilation 1)", (100, 5)),
        Case("n=50, k=7", (50, 7)),
        Case("n=200, k=11", (200, 11)),
        Case("n=1000, k=7 (long)", (1000, 7)),
    ]
    run_check(
        "my_dilated_layers_needed",
        _plain_numbers(student),
        _dilated_layers_needed,
        cases,
        hints=DILATED_HINTS,
        diagnose=_diagnose_dilated,
    )

"""Checks for the coding exercises of lesson 07 (self-attention compared with CNNs and RNNs)."""

from __future__ import annotations

from collections.abc import Callable

from attn_course.checks.core import Case, run_check


def _multiply_adds(num_steps: int, num_hiddens: int, kernel_size: int) -> tuple[int, int, int]:
    """Reference: (Conv1d, GRU, self-attention layer) multiply-adds, biases and softmax ignored."""
    n, d, k = num_steps, num_hiddens, kernel_size
    conv = k * n * d * d  # k matrices d x d per output position
    gru = 6 * n * d * d  # 3 gates, each with an input and a hidden d x d matrix
    attention = 3 * n * d * d + 2 * n * n * d  # W_q, W_k, W_v, then Q K^T and weights @ V
    return conv, gru, attention


def _as_tuple(student: Callable) -> Callable:
    """Accept a list as well as a tuple from the student."""

    def wrapped(*args):
        result = student(*args)
        return tuple(result) if isinstance(result, list) else result

    return wrapped


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
        _as_tuple(student),
        _multiply_adds,
        cases,
        hint="Return a tuple of three ints. Count one multiply-add per entry of each "
        "matrix-vector product; a GRU has three gates, each with two d x d matrices, and "
        "self-attention has three projections plus two n x n x d products.",
    )


def _dilated_layers_needed(num_steps: int, kernel_size: int) -> int:
    """Reference: dilations 1, 2, 4, ...; layer l adds (k-1)/2 * 2**(l-1) positions of reach."""
    reach_per_tap = (kernel_size - 1) // 2
    layers, reach = 0, 0
    while reach < num_steps - 1:
        reach += reach_per_tap * 2**layers
        layers += 1
    return layers


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
        hint="After L layers with dilations 1, 2, ..., 2**(L-1), output 0 reaches "
        "(k-1)/2 * (2**L - 1) positions; find the smallest L that reaches position n-1.",
    )

"""Checks for the coding exercises of lesson 08 (positional encoding)."""

from __future__ import annotations

import math
from collections.abc import Callable

from attn_course.checks.core import Case, run_check
from attn_course.positional import sinusoidal_encoding


def _shift_case(description: str, num_hiddens: int, first: int, count: int, delta: int) -> Case:
    """Encodings of positions first .. first+count-1, expected: those of position + delta."""
    table = sinusoidal_encoding(first + count + max(delta, 0) + 1, num_hiddens)
    rows = table[first : first + count]  # (count, num_hiddens)
    expected = table[first + delta : first + delta + count]  # (count, num_hiddens)
    return Case(description, (rows, delta), expected=expected)


def check_my_shift_encoding(student: Callable) -> None:
    """Check ``my_shift_encoding(encodings, delta) -> encodings of the positions + delta``."""
    cases = [
        _shift_case("d=8, one step forward", 8, 0, 5, 1),
        _shift_case("d=16, positions 10..19, five steps", 16, 10, 10, 5),
        _shift_case("d=32, a backward shift of 3", 32, 7, 6, -3),
        _shift_case("d=4, no shift at all", 4, 2, 3, 0),
        _shift_case("d=64, a long shift of 40", 64, 0, 20, 40),
    ]
    run_check(
        "my_shift_encoding",
        student,
        None,
        cases,
        hint="Pair column 2j (sine) with column 2j+1 (cosine) and rotate each pair by the "
        "angle omega_j * delta, with omega_j = 1 / 10000**(2j/d); do not call sin of the "
        "positions themselves.",
        atol=1e-4,
    )


def _offset_similarity(delta: int, num_hiddens: int) -> float:
    """Reference: P[i] . P[i + delta] = sum_j cos(omega_j * delta), the same for every i."""
    return float(
        sum(math.cos(delta / 10000 ** (2 * j / num_hiddens)) for j in range(num_hiddens // 2))
    )


def _table_case(delta: int, num_hiddens: int, position: int) -> Case:
    """Expected value read off the table at one position (it must not depend on it)."""
    table = sinusoidal_encoding(position + abs(delta) + 1, num_hiddens).double()
    first, second = position, position + delta
    expected = float(table[first] @ table[second])
    description = f"delta={delta}, d={num_hiddens} (table rows {first} and {second})"
    return Case(description, (delta, num_hiddens), expected=expected)


def check_my_offset_similarity(student: Callable) -> None:
    """Check ``my_offset_similarity(delta, num_hiddens) -> float``."""
    cases = [
        Case("delta=0, d=8: each row has length^2 = d/2", (0, 8)),
        _table_case(1, 16, 0),
        _table_case(1, 16, 25),
        _table_case(7, 32, 3),
        _table_case(-7, 32, 40),
        Case("delta=100, d=128", (100, 128)),
    ]
    run_check(
        "my_offset_similarity",
        student,
        _offset_similarity,
        cases,
        hint="Write sin(a)sin(b) + cos(a)cos(b) as a single cosine; the position i cancels "
        "and each column pair contributes cos(omega_j * delta). Return a Python float.",
        atol=1e-3,
    )


"""Checks for the coding exercises of lesson 08 (positional encoding)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check
from attn_course.checks.i18n import N_, _
from attn_course.positional import sinusoidal_encoding

SHIFT_ATOL = 1e-4


def _shift_case(description: str, num_hiddens: int, first: int, count: int, delta: int) -> Case:
    """Encodings of positions first .. first+count-1, expected: those of position + delta."""
    table = sinusoidal_encoding(first + count + max(delta, 0) + 1, num_hiddens)
    rows = table[first : first + count]  # (count, num_hiddens)
    expected = table[first + delta : first + delta + count]  # (count, num_hiddens)
    return Case(description, (rows, delta), expected=expected)


def _rotate(rows: torch.Tensor, delta: int) -> torch.Tensor:
    """Every column pair of ``rows`` (steps, d) rotated by delta * omega_j (float64)."""
    num_hiddens = rows.shape[-1]
    omegas = 1 / 10000 ** (torch.arange(0, num_hiddens, 2, dtype=torch.float64) / num_hiddens)
    c, s = torch.cos(delta * omegas), torch.sin(delta * omegas)  # (d/2,) each
    sines, cosines = rows[:, 0::2].double(), rows[:, 1::2].double()  # (steps, d/2) each
    out = torch.empty(rows.shape, dtype=torch.float64)
    out[:, 0::2], out[:, 1::2] = c * sines + s * cosines, -s * sines + c * cosines
    return out


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool((a.double() - b.double()).abs().max() <= SHIFT_ATOL)


def _diagnose_shift(actual: Any, expected: torch.Tensor, case: Case) -> Failure | None:
    """Tell an unshifted result, a shift the wrong way and wrong frequencies apart."""
    rows, delta = case.args
    if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
        return None  # the generic type and shape diagnosis says more
    if not actual.is_floating_point():
        return None
    if _close(actual, expected):
        if actual.dtype == expected.dtype:
            return None
        return Failure(
            "dtype",
            _(
                "the values are right, but the result is {dtype} where the encodings "
                "came in as {input_dtype}"
            ).format(dtype=actual.dtype, input_dtype=rows.dtype),
        )
    if delta != 0 and _close(actual, rows):
        return Failure(
            "unshifted", _("delta={delta}, but the rows came back unchanged").format(delta=delta)
        )
    if delta != 0 and _close(actual, _rotate(rows, -delta)):
        return Failure(
            "direction",
            _("the rows moved by {moved} positions instead of {delta}").format(
                moved=-delta, delta=delta
            ),
        )
    pairs_right = [
        _close(actual[:, 2 * j : 2 * j + 2], expected[:, 2 * j : 2 * j + 2])
        for j in range(expected.shape[1] // 2)
    ]
    if pairs_right[0] and not all(pairs_right):
        wrong = pairs_right.index(False)
        return Failure(
            "frequency", _("column pair 0 is right, but pair {pair} is not").format(pair=wrong)
        )
    return None


SHIFT_HINTS = {
    "dtype": [
        N_(
            "Your rotation is right; only the dtype changed on the way. The exercise asks for the "
            "dtype of `encodings`: the shifted rows go back into a model of that dtype."
        ),
        N_(
            "Which of your tensors has another dtype than `encodings`? A float64 tensor promotes "
            "everything it is combined with."
        ),
    ],
    "unshifted": [
        N_(
            "Your result equals the input rows. Is the rotation you apply really by a non-zero "
            "angle?"
        ),
        N_(
            "The angle of pair j depends on delta and on that pair's frequency; check what you "
            "multiply the rows by."
        ),
    ],
    "direction": [
        N_(
            "Your rows moved the wrong way. Which sign does sin(a + b) = sin a cos b + cos a sin b "
            "put on each term?"
        ),
        N_(
            "Compare your 2 x 2 matrix with the one in the lesson entry by entry, and remember the "
            "rows are row vectors: a row times a matrix uses the matrix transposed."
        ),
    ],
    "frequency": [
        N_(
            "The first column pair is right and later ones are not. Which frequency omega_j does "
            "pair j have?"
        ),
        N_("Print your omega_j for d = 8 next to 1 / 10000**(2j/d) for j = 0 .. 3."),
    ],
    "values": [
        N_(
            "Some pairs come out wrong. Take one row and one pair: do you pair column 2j with "
            "column 2j + 1, and which of the two is the sine?"
        ),
        N_("Work the smallest case (d = 8, delta = 1) for pair 0 by hand and compare each entry."),
    ],
}


def check_my_shift_encoding(student: Callable) -> None:
    """Check ``my_shift_encoding(encodings, delta) -> encodings of the positions + delta``."""
    cases = [
        _shift_case(_("d=8, one step forward"), 8, 0, 5, 1),
        _shift_case(_("d=16, positions 10..19, five steps"), 16, 10, 10, 5),
        _shift_case(_("d=32, a backward shift of 3"), 32, 7, 6, -3),
        _shift_case(_("d=4, no shift at all"), 4, 2, 3, 0),
        _shift_case(_("d=64, a long shift of 40"), 64, 0, 20, 40),
    ]
    run_check(
        "my_shift_encoding",
        student,
        None,
        cases,
        hints=SHIFT_HINTS,
        diagnose=_diagnose_shift,
        atol=SHIFT_ATOL,
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
    description = _("delta={delta}, d={num_hiddens} (table rows {first} and {second})").format(
        delta=delta, num_hiddens=num_hiddens, first=first, second=second
    )
    return Case(description, (delta, num_hiddens), expected=expected)


SIMILARITY_ATOL = 1e-3


def _is_close(value: Any, expected: float) -> bool:
    """Whether ``value`` is a number within the check's tolerance of ``expected``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(value - expected) <= SIMILARITY_ATOL


def _diagnose_similarity(
    actual: Any, expected: float, case: Case, student: Callable | None = None
) -> Failure | None:
    """Name what a wrong similarity breaks: its value at 0, its sign symmetry, or an offset.

    A wrong value at a negative offset is a sign mistake only if the student's value at the
    positive offset is right (the similarity is even in delta); otherwise it is an offset
    mistake like any other."""
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return None  # the generic type diagnosis
    if abs(actual - expected) <= SIMILARITY_ATOL:
        return None
    delta, num_hiddens = case.args
    if delta == 0:
        return Failure(
            "at_zero",
            _(
                "at delta=0 returned {actual:.4g}; a row's squared length is the right value there"
            ).format(actual=actual),
        )
    if delta < 0 and student is not None:
        try:
            mirrored = student(-delta, num_hiddens)
        except Exception:  # a failure at +delta is reported by its own case
            mirrored = None
        if _is_close(mirrored, expected):
            return Failure(
                "negative",
                _("wrong for the negative offset delta={delta}, right for delta={mirrored}").format(
                    delta=delta, mirrored=-delta
                ),
            )
    return Failure(
        "offset",
        _("delta={delta}, d={num_hiddens}: returned {actual:.4g}, off by {off:.3g}").format(
            delta=delta, num_hiddens=num_hiddens, actual=actual, off=abs(actual - expected)
        ),
    )


SIMILARITY_HINTS = {
    "at_zero": [
        N_(
            "Start from delta = 0: p_i . p_i is the squared length of a row. What is sin^2 + "
            "cos^2, and how many such pairs does a row of size d hold?"
        ),
        N_(
            "Count the pairs your sum runs over, and check which function of the angle each term "
            "uses."
        ),
    ],
    "offset": [
        N_(
            "Right at delta = 0 but not at this offset. How does each pair's term depend on delta, "
            "and through which frequency?"
        ),
        N_("Write sin(a) sin(b) + cos(a) cos(b) as one trigonometric function of a - b."),
    ],
    "negative": [
        N_(
            "Your answer is wrong only for a negative offset. Should p_i . p_(i + delta) change "
            "when delta changes sign?"
        ),
        N_("If you read rows off a table, what does a negative index pick in PyTorch?"),
    ],
}


def check_my_offset_similarity(student: Callable) -> None:
    """Check ``my_offset_similarity(delta, num_hiddens) -> float``."""
    cases = [
        Case(_("delta=0, d=8: each row has length^2 = d/2"), (0, 8)),
        _table_case(1, 16, 0),
        _table_case(1, 16, 25),
        _table_case(7, 32, 3),
        Case(_("delta=100, d=128"), (100, 128)),
        _table_case(-7, 32, 40),
    ]
    run_check(
        "my_offset_similarity",
        student,
        _offset_similarity,
        cases,
        hints=SIMILARITY_HINTS,
        diagnose=lambda actual, expected, case: _diagnose_similarity(
            actual, expected, case, student
        ),
        atol=SIMILARITY_ATOL,
    )


SCORE_LENGTH = 40  # keys 0 .. 39; queries |delta| .. 39 - |delta|


def _attended(matrix: torch.Tensor, num_hiddens: int, delta: int) -> torch.Tensor:
    """The key each query scores highest under P[i] @ matrix @ P[t], for the queries whose
    keys i - delta and i + delta both exist: (queries,)."""
    table = sinusoidal_encoding(SCORE_LENGTH, num_hiddens).double()  # (L, d)
    scores = table @ matrix.double() @ table.T  # (queries, keys)
    queries = torch.arange(abs(delta), SCORE_LENGTH - abs(delta))  # (queries,)
    return scores[queries].argmax(dim=-1)  # (queries,)


def _keys_attended(student: Callable) -> Callable:
    """The student's matrix turned into the key each query attends most; a matrix that
    cannot be scored comes back as it is, for the diagnosis to name."""

    def keys(delta: int, num_hiddens: int) -> Any:
        matrix = student(delta, num_hiddens)
        usable = (
            isinstance(matrix, torch.Tensor)
            and tuple(matrix.shape) == (num_hiddens, num_hiddens)
            and matrix.is_floating_point()
            and bool(torch.isfinite(matrix).all())
        )
        return _attended(matrix, num_hiddens, delta) if usable else _Unscored(matrix)

    return keys


class _Unscored:
    """A returned value the check could not score, kept for the diagnosis."""

    def __init__(self, value: Any):
        self.value = value


def _score_case(description: str, delta: int, num_hiddens: int) -> Case:
    queries = torch.arange(abs(delta), SCORE_LENGTH - abs(delta))  # (queries,)
    return Case(description, (delta, num_hiddens), expected=queries + delta)


def _diagnose_scores(actual: Any, expected: torch.Tensor, case: Case) -> Failure | None:
    """Name what a wrong score matrix breaks: its form, its direction, its shift, its keys."""
    delta, num_hiddens = case.args
    if isinstance(actual, _Unscored):
        value = actual.value
        if not isinstance(value, torch.Tensor):
            return Failure(
                "type",
                _("returned a {type_name}, expected a ({rows}, {columns}) tensor").format(
                    type_name=type(value).__name__, rows=num_hiddens, columns=num_hiddens
                ),
            )
        if tuple(value.shape) != (num_hiddens, num_hiddens):
            return Failure(
                "shape",
                _("returned shape {shape}, expected ({rows}, {columns})").format(
                    shape=tuple(value.shape), rows=num_hiddens, columns=num_hiddens
                ),
            )
        if not value.is_floating_point():
            return Failure(
                "dtype",
                _("returned dtype {dtype}; scores need a float matrix").format(dtype=value.dtype),
            )
        return Failure("nan", _("the matrix holds NaN or inf"))
    if torch.equal(actual, expected):
        return None
    queries = expected - delta  # (queries,)
    first = int(queries[0])
    wanted = f"i {'+' if delta > 0 else '-'} {abs(delta)}"
    if delta != 0 and torch.equal(actual, queries - delta):
        return Failure(
            "direction",
            _(
                "query {query} attends most to key {key}, not {target}: every query i looks "
                "at key i {sign} {distance}, the other way"
            ).format(
                query=first,
                key=first - delta,
                target=first + delta,
                sign="-" if delta > 0 else "+",
                distance=abs(delta),
            ),
        )
    if delta != 0 and torch.equal(actual, queries):
        return Failure(
            "no_shift",
            _("every query i attends most to key i, its own position, not to key {wanted}").format(
                wanted=wanted
            ),
        )
    wrong = (actual != expected).nonzero()[:, 0]  # (wrong queries,)
    at = int(wrong[0])
    return Failure(
        "keys",
        _(
            "query {query} attends most to key {key}, "
            "not {target} ({wrong} of {total} queries wrong)"
        ).format(
            query=int(queries[at]),
            key=int(actual[at]),
            target=int(expected[at]),
            wrong=len(wrong),
            total=len(expected),
        ),
    )


SCORE_HINTS = {
    "direction": [
        N_(
            "Every query looks the right distance away, but the wrong way. The score is P[i] @ B @ "
            "P[t] with rows as row vectors: which row must P[i] @ B equal?"
        ),
        N_(
            "On a small case, print P[i] @ B next to P[i + delta] and P[i - delta]. Which side of "
            "the row does your matrix act on, and what does that do to the lesson's rotation?"
        ),
    ],
    "no_shift": [
        N_(
            "Every query attends to its own position. For which t is P[i] @ B @ P[t] largest when "
            "B leaves P[i] unchanged?"
        ),
        N_(
            "A dot product of two rows of equal length is largest when they are equal. Which row "
            "should P[i] @ B be for the key i + delta to win?"
        ),
    ],
    "keys": [
        N_(
            "Some queries pick the wrong key, and not in one consistent way. For which column "
            "pairs does P[i] @ B match P[i + delta], and for which not?"
        ),
        N_(
            "On the smallest case (d = 8) compare P[i] @ B with P[i + delta] pair by pair: which "
            "frequency does each of your blocks use, and which columns does it mix?"
        ),
    ],
}


def check_my_offset_scores(student: Callable) -> None:
    """Check ``my_offset_scores(delta, num_hiddens) -> B`` (d, d): under the score
    ``P[i] @ B @ P[t]`` every query i attends most to the key t = i + delta
    (the queries |delta| to 39 - |delta|, whose keys i - delta and i + delta exist)."""
    cases = [
        _score_case(_("delta=1, d=8: one position on"), 1, 8),
        _score_case(_("delta=-1, d=16: one position back"), -1, 16),
        _score_case(_("delta=3, d=32"), 3, 32),
        _score_case(_("delta=-5, d=64"), -5, 64),
        _score_case(_("delta=0, d=4: every query attends to itself"), 0, 4),
    ]
    run_check(
        "my_offset_scores",
        _keys_attended(student),
        None,
        cases,
        hints=SCORE_HINTS,
        diagnose=_diagnose_scores,
    )

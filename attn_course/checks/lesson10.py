"""Checks for the coding exercises of lesson 10 (FlashAttention)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from attn_course.checks.core import Case, Failure, run_check
from attn_course.checks.i18n import N_, _

NEG_INF = float("-inf")
OVERFLOW = math.log(torch.finfo(torch.float64).max)  # about 709.8: e^s is inf beyond it


def _overflowed(actual: Any, expected: Any) -> bool:
    """Whether ``actual`` holds NaN or inf where ``expected`` is finite (tensors or tuples)."""
    if isinstance(actual, (tuple, list)) and isinstance(expected, (tuple, list)):
        return any(_overflowed(a, e) for a, e in zip(actual, expected, strict=False))
    if not (isinstance(actual, torch.Tensor) and isinstance(expected, torch.Tensor)):
        return False
    if actual.shape != expected.shape or not actual.is_floating_point():
        return False
    return bool((~torch.isfinite(actual) & torch.isfinite(expected)).any())


def _partial(scores: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """(max (rows, 1), sum (rows, 1), unnormalised output (rows, d_v)) of one block of scores."""
    row_max = scores.amax(dim=-1, keepdim=True)  # (rows, 1)
    shift = row_max.masked_fill(row_max == NEG_INF, 0.0)
    P = torch.exp(scores - shift)  # (rows, block)
    return row_max, P.sum(dim=-1, keepdim=True), P @ values


def _merge(max_a, sum_a, out_a, max_b, sum_b, out_b):
    """Reference: both partials moved onto the larger maximum, then added."""
    new_max = torch.maximum(max_a, max_b)  # (rows, 1)
    shift = new_max.masked_fill(new_max == NEG_INF, 0.0)
    rescale_a, rescale_b = torch.exp(max_a - shift), torch.exp(max_b - shift)
    return new_max, sum_a * rescale_a + sum_b * rescale_b, out_a * rescale_a + out_b * rescale_b


def _merge_case(
    description: str,
    rows: int,
    sizes: tuple[int, int],
    d_v: int,
    seed: int,
    masked: tuple[bool, bool] = (False, False),
    scale: float = 1.0,
    offsets: tuple[tuple[float, ...], tuple[float, ...]] | None = None,
) -> Case:
    """Two blocks of keys of one set of rows; a masked block has every score -inf; ``offsets``
    adds one number per row to each block's scores."""
    generator = torch.Generator().manual_seed(seed)
    args: list[torch.Tensor] = []
    for block, (size, is_masked) in enumerate(zip(sizes, masked, strict=True)):
        scores = scale * torch.randn(rows, size, generator=generator, dtype=torch.float64)
        if offsets is not None:
            scores = scores + torch.tensor(offsets[block], dtype=torch.float64)[:, None]
        if is_masked:
            scores = torch.full_like(scores, NEG_INF)
        values = torch.randn(size, d_v, generator=generator, dtype=torch.float64)
        args += list(_partial(scores, values))
    return Case(description, tuple(args), expected=_merge(*args))


def _diagnose_merge(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the usual mistakes: a wrong maximum (also for a row that saw no key), exponentials
    that overflow, a missing rescale (of both blocks or of one), a normalised output."""
    if not (isinstance(actual, (tuple, list)) and len(actual) == 3):
        return None
    if not all(isinstance(a, torch.Tensor) for a in actual):
        return None
    if any(a.shape != e.shape or a.dtype != e.dtype for a, e in zip(actual, expected, strict=True)):
        return None  # compare() names the shape or dtype
    max_a, sum_a, out_a, max_b, sum_b, out_b = case.args
    finite = torch.isfinite(expected[0])
    if not torch.equal(actual[0][finite], expected[0][finite]):
        return Failure("max", _("the maximum returned is not the larger of the two blocks' maxima"))
    if not torch.equal(actual[0][~finite], expected[0][~finite]):
        return Failure(
            "masked_max",
            _(
                "a row whose two blocks are fully masked saw no key: its maximum must stay -inf, "
                "not {maximum:g}"
            ).format(maximum=actual[0][~finite][0].item()),
        )
    largest = torch.cat([max_a, max_b]).max()
    both = torch.isfinite(max_a) & torch.isfinite(max_b)
    gap = (max_a - max_b)[both].abs().max() if both.any() else torch.tensor(0.0)
    if max(largest, gap) > OVERFLOW and _overflowed(actual, expected):
        return Failure(
            "overflow",
            _(
                "NaN or inf where the maxima reach {largest:.0f} and lie up to {gap:.0f} apart: "
                "e^x is inf in float64 for x beyond {overflow:.1f}"
            ).format(largest=largest, gap=gap, overflow=OVERFLOW),
        )
    shift = expected[0].masked_fill(expected[0] == NEG_INF, 0.0)
    rescale_a, rescale_b = torch.exp(max_a - shift), torch.exp(max_b - shift)

    def matches(factor_a: Any, factor_b: Any) -> bool:
        """Does the student's (sum, output) equal the blocks added with these factors?"""
        merged = (sum_a * factor_a + sum_b * factor_b, out_a * factor_a + out_b * factor_b)
        wrong = not torch.allclose(merged[0], expected[1])
        return wrong and all(torch.allclose(a, m) for a, m in zip(actual[1:], merged, strict=True))

    if matches(1.0, 1.0):  # tested first: where block a holds the maximum, "only a" looks alike
        return Failure(
            "rescale",
            _("the two blocks' sums and outputs are added as they are, without rescaling"),
        )
    for moved, left, factors in (("a", "b", (rescale_a, 1.0)), ("b", "a", (1.0, rescale_b))):
        if matches(*factors):
            return Failure(
                "one_block",
                _(
                    "only block {moved} was moved onto the merged maximum: block {left}'s sum "
                    "and output are added as they are"
                ).format(moved=moved, left=left),
            )
    normalised = expected[2] / expected[1].masked_fill(expected[1] == 0, 1.0)

    # at the check's own tolerance: where the sums are close to 1 (large scores), allclose's
    # relative tolerance would call the normalised and the unnormalised output equal
    def near(a: torch.Tensor, b: torch.Tensor) -> bool:
        return torch.allclose(a, b, rtol=0.0, atol=1e-8)

    if near(actual[2], normalised) and not near(actual[2], expected[2]):
        return Failure("normalised", _("the output is already divided by the sum"))
    return None


MERGE_HINTS = {
    "max": [
        N_("Check the first entry you return: which maximum covers the keys of both blocks?"),
        N_("The merged maximum must be at least each block's own maximum, row by row."),
    ],
    "rescale": [
        N_(
            "Each block's sum and output were computed against its own maximum. Can you add two "
            "sums of exponentials that were shifted by different amounts?"
        ),
        N_("What factor turns e^(s - m_a) into e^(s - m), where m is the merged maximum?"),
    ],
    "one_block": [
        N_(
            "Each block's sum and output were computed against that block's own maximum. In a row "
            "where the other block holds the larger maximum, is that still the merged one?"
        ),
        N_(
            "Work by hand one row where the block you left as it is holds the smaller maximum: its "
            "exponentials were shifted by its own maximum. By what should they be shifted?"
        ),
    ],
    "masked_max": [
        N_(
            "A row whose blocks are both fully masked has seen no key. Which maximum says so? What "
            "would a later merge do with a maximum of 0 against a block whose scores are all far "
            "below 0?"
        ),
        N_(
            "Is the shift you subtract (0 for such a row) the same thing as the maximum you return?"
        ),
    ],
    "overflow": [
        N_(
            "Only cases with large scores fail. Which of your exponentials can exceed the largest "
            "float64 number, about e^709?"
        ),
        N_(
            "The lesson's online softmax keeps every exponent at most 0. Which number do you "
            "subtract before exponentiating, and do you subtract it inside exp() or after?"
        ),
    ],
    "normalised": [
        N_(
            "The triple stays unnormalised until the very last block: is your output divided by "
            "something it should not be yet?"
        ),
    ],
    "nan": [
        N_(
            "A NaN appears when a block is fully masked (its maximum is -inf). What is -inf - "
            "(-inf)?"
        ),
        N_("How does online_softmax_step avoid subtracting -inf from -inf?"),
    ],
}


def check_my_merge_partials(student: Callable) -> None:
    """Check ``my_merge_partials(max_a, sum_a, out_a, max_b, sum_b, out_b) -> (max, sum, out)``."""
    cases = [
        _merge_case(_("3 rows, blocks of 4 and 5 keys"), 3, (4, 5), 2, 0),
        _merge_case(
            _("large scores (some maxima past 709, where e^s overflows)"),
            4,
            (3, 6),
            3,
            4,
            scale=300.0,
        ),
        _merge_case(
            _("maxima about 800 apart, block a's or block b's the larger (e^800 overflows)"),
            2,
            (3, 4),
            2,
            5,
            offsets=((0.0, 800.0), (800.0, 0.0)),
        ),
        _merge_case(_("one row, a single key per block"), 1, (1, 1), 4, 2),
        _merge_case(_("the second block fully masked"), 2, (5, 4), 2, 3, masked=(False, True)),
        _merge_case(_("both blocks fully masked"), 2, (3, 3), 2, 4, masked=(True, True)),
    ]
    run_check(
        "my_merge_partials",
        student,
        None,
        cases,
        atol=1e-8,
        hints=MERGE_HINTS,
        diagnose=_diagnose_merge,
    )


class _ShapeWatch(TorchDispatchMode):
    """Records the shape of every tensor the operations inside the block return."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: list[tuple[int, ...]] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        result = func(*args, **(kwargs or {}))
        for tensor in result if isinstance(result, (tuple, list)) else [result]:
            if isinstance(tensor, torch.Tensor):
                self.shapes.append(tuple(tensor.shape))
        return result


class _Watched:
    """The student's function, run under a _ShapeWatch: ``shapes`` holds the last call's."""

    def __init__(self, student: Callable) -> None:
        self.student, self.shapes = student, []
        self.__name__ = getattr(student, "__name__", "student")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.shapes = []
        watch = _ShapeWatch()
        try:
            with watch:
                return self.student(*args, **kwargs)
        finally:
            self.shapes = watch.shapes


def _whole_rows(shapes: list[tuple[int, ...]], case: Case) -> tuple[int, ...] | None:
    """The first shape whose last two axes are (queries, keys) or (keys, queries), in a case
    where no other tensor of the exercise can have that shape; else None."""
    queries, keys, values, __, __, block_size, __ = case.args
    num_queries, num_keys = queries.shape[1], keys.shape[1]
    sizes = {queries.shape[-1], values.shape[-1]}  # d and d_v
    if num_keys <= block_size or num_keys in sizes or num_queries in sizes | {num_keys}:
        return None  # a block, Q or dO could have the same shape
    wide = {(num_queries, num_keys), (num_keys, num_queries)}
    return next((shape for shape in shapes if shape[-2:] in wide), None)


def _row_term_case(
    description: str,
    num_queries: int,
    num_keys: int,
    block_size: int,
    seed: int,
    valid_lens: list | None = None,
    scale: float = 1.0,
    d: int = 4,
    d_v: int = 3,
) -> Case:
    """Two sequences of random queries, keys, values and dO, the log-sum-exp L that
    FlashAttention.forward saves (+inf where a query sees no key), and the expected
    D = sum_k P_ik dP_ik from whole rows of P and dP."""
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    queries = scale * draw(2, num_queries, d)
    keys, values, dO = draw(2, num_keys, d), draw(2, num_keys, d_v), draw(2, num_queries, d_v)
    lens = None if valid_lens is None else torch.tensor(valid_lens)
    scores = _scores(queries, keys, lens)  # (2, queries, keys), -inf where masked
    logsumexp = torch.logsumexp(scores, dim=-1, keepdim=True)  # (2, queries, 1)
    logsumexp = logsumexp.masked_fill(logsumexp == NEG_INF, float("inf"))  # no key: +inf
    seen = torch.isfinite(scores).any(dim=-1, keepdim=True)  # (2, queries, 1)
    P = torch.softmax(scores.masked_fill(~seen, 0.0), dim=-1) * seen  # rows with no key: 0
    dP = dO @ values.transpose(1, 2)  # (2, queries, keys)
    expected = (P * dP).sum(dim=-1, keepdim=True)  # (2, queries, 1)
    args = (queries, keys, values, dO, logsumexp, block_size, lens)
    return Case(description, args, expected=expected)


def _scores(
    queries: torch.Tensor, keys: torch.Tensor, lens: torch.Tensor | None, scaled: bool = True
) -> torch.Tensor:
    """Q K^T (/ sqrt(d) if scaled), -inf past each valid length: (batch, queries, keys)."""
    scores = queries @ keys.transpose(1, 2)
    if scaled:
        scores = scores / math.sqrt(queries.shape[-1])
    if lens is None:
        return scores
    lens = lens.reshape(len(lens), -1)  # (batch, 1 or queries)
    keep = torch.arange(keys.shape[1]) < lens[..., None]  # (batch, 1 or queries, keys)
    return scores.masked_fill(~keep, NEG_INF)


def _block_shares(
    case: Case, weights: str = "right", scaled: bool = True, masked: bool = True
) -> list[torch.Tensor]:
    """Each block's share of D, sum over its keys of P dP, with the weights made the right way
    or one of the usual wrong ways: "block_softmax" (normalised within the block) or "exp"
    (e^S, not divided by the row's total)."""
    queries, keys, values, dO, logsumexp, block_size, lens = case.args
    scores = _scores(queries, keys, lens if masked else None, scaled)  # (b, q, keys)
    shares = []
    for start in range(0, keys.shape[1], block_size):
        block = slice(start, start + block_size)
        S = scores[..., block]  # (b, q, block)
        if weights == "block_softmax":
            P = torch.softmax(S, dim=-1)  # NaN on a row whose block is fully masked
        elif weights == "exp":
            P = torch.exp(S)
        else:
            P = torch.exp(S - logsumexp)
        dP = dO @ values[:, block].transpose(1, 2)  # (b, q, block)
        shares.append((P * dP).sum(dim=-1, keepdim=True))  # (b, q, 1)
    return shares


def _close(actual: torch.Tensor, other: torch.Tensor) -> bool:
    return actual.shape == other.shape and torch.allclose(actual, other, atol=1e-8, equal_nan=True)


def _diagnose_row_term(
    actual: Any, expected: Any, case: Case, shapes: list[tuple[int, ...]] | None = None
) -> Failure | None:
    """Name the usual mistakes: one block's share only, weights normalised within each block
    or not at all, a missing 1/sqrt(d), masked keys counted, no kept axis, exponentials that
    overflow; and right values from a whole (queries, keys) tensor (``shapes``: the shapes
    the student's operations returned)."""
    if not isinstance(actual, torch.Tensor) or actual.dtype != expected.dtype:
        return None  # compare() names the type or the dtype
    batch_size, num_queries, __ = expected.shape
    if actual.shape == (batch_size, num_queries):
        if _close(actual, expected.squeeze(-1)):
            return Failure(
                "broadcast", _("the values are right but the last axis (size 1) is gone")
            )
        return None
    if actual.shape != expected.shape:
        return None
    if _close(actual, expected):
        whole = _whole_rows(shapes or [], case)
        if whole is None:
            return None
        return Failure(
            "whole",
            _(
                "the values are right, but a tensor of shape {shape} holds every key of every "
                "query at once"
            ).format(shape=whole),
        )
    queries, keys, *__, lens = case.args
    largest = _scores(queries, keys, lens).max()
    if largest > OVERFLOW and _overflowed(actual, expected):
        return Failure(
            "overflow",
            _(
                "NaN or inf where the scores reach {largest:.0f}: e^s is inf in float64 "
                "beyond {overflow:.1f}"
            ).format(largest=largest, overflow=OVERFLOW),
        )
    shares = _block_shares(case)
    if len(shares) > 1 and _close(actual, shares[-1]):
        return Failure(
            "accumulate",
            _("only the last block's share of D: the sum over the other blocks is missing"),
        )
    if len(shares) > 1 and _close(actual, shares[0]):
        return Failure(
            "accumulate",
            _("only the first block's share of D: the sum over the other blocks is missing"),
        )
    if _close(actual, sum(_block_shares(case, weights="block_softmax"))):
        return Failure(
            "normalised",
            _(
                "each block's weights sum to 1 over the block, where "
                "only a whole row's weights sum to 1"
            ),
        )
    if _close(actual, sum(_block_shares(case, weights="exp"))):
        return Failure(
            "logsumexp", _("the weights are e^S: they were never divided by the row's total")
        )
    unscaled = [sum(_block_shares(case, scaled=False, masked=masked)) for masked in (True, False)]
    if any(_close(actual, wrong) for wrong in unscaled):
        return Failure("scale", _("the values match scores that were not divided by sqrt(d)"))
    if case.args[-1] is not None and _close(actual, sum(_block_shares(case, masked=False))):
        return Failure("mask", _("keys past a query's valid length were counted"))
    return None


ROW_TERM_HINTS = {
    "whole": [
        N_(
            "The exercise allows one block of keys at a time. Which line of your function looks at "
            "all the keys at once?"
        ),
        N_(
            "Only keys[:, start : start + block_size] and the same slice of values may meet the "
            "queries; what you carry from block to block is one number per query."
        ),
    ],
    "overflow": [
        N_(
            "Only cases with large scores fail. Which of your exponentials can exceed the largest "
            "float64 number, about e^709?"
        ),
        N_("P = e^(S - L) never exceeds 1. Is that what you compute, or e^S and e^(-L) apart?"),
    ],
    "accumulate": [
        N_(
            "D_i sums over every key of row i. Does your result hold every block's share, or only "
            "one block's?"
        ),
        N_(
            "Follow D through the loop on a case with three blocks: what does it hold after each "
            "block, and what do you return?"
        ),
    ],
    "normalised": [
        N_(
            "The weights of one block need not sum to 1: only a whole row's do. Which saved number "
            "tells you the row's total?"
        ),
        N_(
            "How does the lesson's backward pass turn a block's scores into weights without seeing "
            "the other blocks?"
        ),
    ],
    "logsumexp": [
        N_(
            "e^S is not a weight: it is not divided by anything. What turns a score into a weight "
            "of the whole row?"
        ),
        N_("Which argument of your function have you not used yet?"),
    ],
    "scale": [
        N_("Your scores are off by a constant factor. How does the lesson define S from Q and K?"),
    ],
    "mask": [
        N_(
            "Some keys lie past a query's valid length and must get weight 0. Do your block's "
            "scores know about valid_lens?"
        ),
        N_(
            "Which helper of the lesson turns a block of keys and the valid lengths into scores "
            "with -inf where a key is masked?"
        ),
    ],
    "broadcast": [
        N_(
            "dS = P * (dP - D) subtracts D from every column of dP (batch, queries, block). Which "
            "shape of D broadcasts against that?"
        ),
    ],
    "nan": [
        N_(
            "A NaN appeared. Look at the rows where it is: does that query see any key of the "
            "block, or any key at all?"
        ),
        N_("Which of your operations can give NaN from a row of -inf scores or from L = +inf?"),
    ],
    "values": [
        N_(
            "Compare your D with the sum over k of P_ik dP_ik on the smallest case, one query at a "
            "time."
        ),
        N_(
            "Check each block on its own: do its weights equal the whole-row softmax restricted to "
            "that block's keys?"
        ),
    ],
}


def check_my_row_term_by_blocks(student: Callable) -> None:
    """Check ``my_row_term_by_blocks(queries, keys, values, dO, logsumexp, block_size,
    valid_lens) -> D`` (batch, queries, 1) against sum_k P_ik dP_ik from whole rows, and that
    no operation of the student's returns a (queries, keys) tensor."""
    cases = [
        _row_term_case(_("5 queries, 8 keys, blocks of 3 (the last holds 2)"), 5, 8, 3, 0),
        _row_term_case(_("blocks of 1 key"), 3, 4, 1, 1),
        _row_term_case(_("one block holds every key (blocks of 16, 6 keys)"), 4, 6, 16, 2),
        _row_term_case(_("valid lengths 2 and 7, blocks of 3"), 4, 7, 3, 3, valid_lens=[2, 7]),
        _row_term_case(
            _("a length per query, one query sees no key"),
            4,
            5,
            2,
            4,
            valid_lens=[[3, 0, 5, 1], [5, 5, 2, 4]],
        ),
        _row_term_case(
            _("large scores (queries 500 times larger, a score past 709, where e^s overflows)"),
            3,
            6,
            4,
            5,
            scale=500.0,
        ),
        _row_term_case(_("many keys: 6 queries, 40 keys, blocks of 8"), 6, 40, 8, 6),
    ]
    watched = _Watched(student)
    run_check(
        "my_row_term_by_blocks",
        watched,
        None,
        cases,
        atol=1e-8,
        hints=ROW_TERM_HINTS,
        diagnose=lambda actual, expected, case: _diagnose_row_term(
            actual, expected, case, watched.shapes
        ),
    )

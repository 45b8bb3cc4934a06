"""Checks for the coding exercises of lesson 10 (FlashAttention)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from attn_course.checks.core import Case, Failure, run_check

NEG_INF = float("-inf")


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


def _merge_case(description: str, rows: int, sizes: tuple[int, int], d_v: int, seed: int,
                masked: tuple[bool, bool] = (False, False), scale: float = 1.0) -> Case:
    """Two blocks of keys of one set of rows; a masked block has every score -inf."""
    generator = torch.Generator().manual_seed(seed)
    args: list[torch.Tensor] = []
    for size, is_masked in zip(sizes, masked, strict=True):
        scores = scale * torch.randn(rows, size, generator=generator, dtype=torch.float64)
        if is_masked:
            scores = torch.full_like(scores, NEG_INF)
        values = torch.randn(size, d_v, generator=generator, dtype=torch.float64)
        args += list(_partial(scores, values))
    return Case(description, tuple(args), expected=_merge(*args))


def _diagnose_merge(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the usual mistakes: a wrong maximum, a missing rescale, a normalised output."""
    if not (isinstance(actual, (tuple, list)) and len(actual) == 3):
        return None
    if not all(isinstance(a, torch.Tensor) for a in actual):
        return None
    if any(a.shape != e.shape for a, e in zip(actual, expected, strict=True)):
        return None
    max_a, sum_a, out_a, max_b, sum_b, out_b = case.args
    finite = torch.isfinite(expected[0])
    if not torch.equal(actual[0][finite], expected[0][finite]):
        return Failure("max", "the maximum returned is not the larger of the two blocks' maxima")
    unscaled = (sum_a + sum_b, out_a + out_b)
    if all(torch.allclose(a, u) for a, u in zip(actual[1:], unscaled, strict=True)) and not (
        torch.allclose(unscaled[0], expected[1])
    ):
        return Failure("rescale", "the sum and output are the two blocks' added as they are")
    normalised = expected[2] / expected[1].masked_fill(expected[1] == 0, 1.0)
    if torch.allclose(actual[2], normalised) and not torch.allclose(normalised, expected[2]):
        return Failure("normalised", "the output is already divided by the sum")
    return None


MERGE_HINTS = {
    "max": [
        "Check the first entry you return: which maximum covers the keys of both blocks?",
        "The merged maximum must be at least each block's own maximum, row by row.",
    ],
    "rescale": [
        "Each block's sum and output were computed against its own maximum. Can you add two sums "
        "of exponentials that were shifted by different amounts?",
        "What factor turns e^(s - m_a) into e^(s - m), where m is the merged maximum?",
    ],
    "normalised": [
        "The triple stays unnormalised until the very last block: is your output divided by "
        "something it should not be yet?",
    ],
    "nan": [
        "A NaN appears when a block is fully masked (its maximum is -inf). What is -inf - (-inf)?",
        "How does online_softmax_step avoid subtracting -inf from -inf?",
    ],
}


def check_my_merge_partials(student: Callable) -> None:
    """Check ``my_merge_partials(max_a, sum_a, out_a, max_b, sum_b, out_b) -> (max, sum, out)``."""
    cases = [
        _merge_case("3 rows, blocks of 4 and 5 keys", 3, (4, 5), 2, 0),
        _merge_case("large scores (maxima far apart)", 4, (3, 6), 3, 1, scale=30.0),
        _merge_case("one row, a single key per block", 1, (1, 1), 4, 2),
        _merge_case("the second block fully masked", 2, (5, 4), 2, 3, masked=(False, True)),
        _merge_case("both blocks fully masked", 2, (3, 3), 2, 4, masked=(True, True)),
    ]
    run_check("my_merge_partials", student, None, cases, atol=1e-8, hints=MERGE_HINTS,
              diagnose=_diagnose_merge)


def _row_term_case(description: str, lens: list[int], num_keys: int, d_v: int, seed: int,
                   scale: float = 1.0) -> Case:
    """dO and the output P V for random scores; the expected D is sum_k P_ik dP_ik from whole rows.

    ``lens`` gives each query of the one sequence its valid length (0: the query sees no key)."""
    generator = torch.Generator().manual_seed(seed)
    num_queries = len(lens)
    scores = scale * torch.randn(2, num_queries, num_keys, generator=generator, dtype=torch.float64)
    keep = torch.arange(num_keys) < torch.tensor(lens)[:, None]  # (queries, keys)
    P = torch.softmax(scores.masked_fill(~keep, 0.0), dim=-1) * keep  # (2, queries, keys)
    V = torch.randn(2, num_keys, d_v, generator=generator, dtype=torch.float64)
    dO = torch.randn(2, num_queries, d_v, generator=generator, dtype=torch.float64)
    output = P @ V  # (2, queries, d_v)
    dP = dO @ V.transpose(1, 2)  # (2, queries, keys)
    return Case(description, (dO, output), expected=(P * dP).sum(dim=-1, keepdim=True))


def _diagnose_row_term(actual: Any, expected: Any, case: Case) -> Failure | None:
    """Name the usual mistakes: every pair of rows, the wrong axis, no kept axis, one factor."""
    if not isinstance(actual, torch.Tensor) or not actual.is_floating_point():
        return None
    dO, output = case.args
    batch_size, num_queries, d_v = output.shape
    if actual.shape == (batch_size, num_queries, num_queries):
        return Failure("pairs", "returned (batch, queries, queries): a number for every pair of "
                                "queries, where D has one per query")
    if actual.shape in ((batch_size, 1, d_v), (batch_size, d_v)):
        return Failure("axis", f"returned shape {tuple(actual.shape)}: summed over the queries")
    if actual.shape == (batch_size, num_queries):
        if torch.allclose(actual, expected.squeeze(-1)):
            return Failure("broadcast", "the values are right but the last axis (size 1) is gone")
        return None
    if actual.shape != expected.shape or torch.allclose(actual, expected, atol=1e-8):
        return None
    if torch.allclose(actual, dO.sum(dim=-1, keepdim=True)) or torch.allclose(
            actual, output.sum(dim=-1, keepdim=True)):
        return Failure("factor", "D was summed from one of dO and the output alone")
    if torch.allclose(actual, -expected):
        return Failure("sign", "the values have the right size and the wrong sign")
    if d_v > 1 and torch.allclose(actual * d_v, expected):
        return Failure("mean", f"the values are {d_v} times too small")
    return None


ROW_TERM_HINTS = {
    "pairs": [
        "Your result pairs every query's dO with every query's output. Does D_i involve any query "
        "other than i?",
        "Write D_i with indices, the sum over k of P_ik dP_ik, and put in dP_ik = dO_i . v_k: "
        "which rows of dO and of the output appear?",
    ],
    "axis": [
        "D has one number per query. Over which axis did you sum: the queries, or the features "
        "of each row?",
        "dO * output is (batch, queries, d_v). Which axis must go so that one number per query "
        "is left?",
    ],
    "broadcast": [
        "dS = P * (dP - D) subtracts D from every column of dP (batch, queries, block). Which "
        "shape of D broadcasts against that?",
    ],
    "factor": [
        "Your D uses only one of dO and the output. Start from the sum over k of P_ik dP_ik and "
        "put in dP_ik = dO_i . v_k: what is the sum over k of P_ik v_k?",
    ],
    "sign": [
        "Right size, wrong sign. Follow the signs of the derivation from dP_ik = dO_i . v_k on.",
    ],
    "mean": [
        "Your D is off by a constant factor. Is D_i a sum or an average over the features?",
    ],
    "values": [
        "Compare your D with the sum over k of P_ik dP_ik on the smallest case, one query at a "
        "time.",
        "Each D_i is one dot product of two vectors of length d_v. Which two?",
    ],
}


def check_my_row_term(student: Callable) -> None:
    """Check ``my_row_term(dO, output) -> D`` (batch, queries, 1) against sum_k P_ik dP_ik."""
    cases = [
        _row_term_case("2 sequences, 3 queries, 5 keys, d_v = 4", [5, 5, 5], 5, 4, 0),
        _row_term_case("queries that see 1 to 6 keys, d_v = 3", [1, 6, 3, 2], 6, 3, 1),
        _row_term_case("one query sees no key (its output row is 0)", [4, 0, 2], 4, 2, 2),
        _row_term_case("one value feature (d_v = 1), large scores", [7, 7], 7, 1, 3, scale=20.0),
    ]
    run_check("my_row_term", student, None, cases, atol=1e-8, hints=ROW_TERM_HINTS,
              diagnose=_diagnose_row_term)

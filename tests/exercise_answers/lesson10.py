"""Right and wrong answers to the exercises of lesson 10 (FlashAttention)."""

from __future__ import annotations

import torch

from attn_course.checks.lesson10 import check_my_merge_partials, check_my_row_term
from exercise_answers import Answer

# ------------------------------------------------------------------ merge partials


def merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max = torch.maximum(max_a, max_b)
    shift = new_max.masked_fill(new_max == float("-inf"), 0.0)
    rescale_a, rescale_b = torch.exp(max_a - shift), torch.exp(max_b - shift)
    return new_max, sum_a * rescale_a + sum_b * rescale_b, out_a * rescale_a + out_b * rescale_b


def merge_by_where(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max = torch.maximum(max_a, max_b)
    rescale_a = torch.where(max_a == float("-inf"), 0.0, torch.exp(max_a - new_max))
    rescale_b = torch.where(max_b == float("-inf"), 0.0, torch.exp(max_b - new_max))
    return new_max, sum_a * rescale_a + sum_b * rescale_b, out_a * rescale_a + out_b * rescale_b


def merge_without_rescale(max_a, sum_a, out_a, max_b, sum_b, out_b):
    return torch.maximum(max_a, max_b), sum_a + sum_b, out_a + out_b


def merge_nan_on_masked(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max = torch.maximum(max_a, max_b)
    rescale_a, rescale_b = torch.exp(max_a - new_max), torch.exp(max_b - new_max)
    return new_max, sum_a * rescale_a + sum_b * rescale_b, out_a * rescale_a + out_b * rescale_b


def merge_keeps_first_max(max_a, sum_a, out_a, max_b, sum_b, out_b):
    _, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    return max_a, total, output


def merge_normalised(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    return new_max, total, output / total.masked_fill(total == 0, 1.0)


def merge_squeezed(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    return new_max.squeeze(-1), total.squeeze(-1), output


def merge_in_place(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    out_a.copy_(output)
    return new_max, total, out_a


# ------------------------------------------------------------------ row term


def row_term_right(dO, output):
    return (dO * output).sum(dim=-1, keepdim=True)


def row_term_by_einsum(dO, output):
    return torch.einsum("bqd,bqd->bq", dO, output)[..., None]


def row_term_by_batched_dot(dO, output):
    return (dO.unsqueeze(-2) @ output.unsqueeze(-1)).squeeze(-1)  # (b, q, 1, 1) -> (b, q, 1)


def row_term_every_pair(dO, output):
    return dO @ output.transpose(1, 2)


def row_term_over_queries(dO, output):
    return (dO * output).sum(dim=1, keepdim=True)


def row_term_squeezed(dO, output):
    return (dO * output).sum(dim=-1)


def row_term_dO_only(dO, output):
    return dO.sum(dim=-1, keepdim=True)


def row_term_negated(dO, output):
    return -(dO * output).sum(dim=-1, keepdim=True)


def row_term_mean(dO, output):
    return (dO * output).mean(dim=-1, keepdim=True)


def row_term_in_place(dO, output):
    return dO.mul_(output).sum(dim=-1, keepdim=True)


ANSWERS = [
    Answer(check_my_merge_partials, merge_right, "pass"),
    Answer(check_my_merge_partials, merge_by_where, "pass", "masked blocks weighted by 0"),
    Answer(check_my_merge_partials, merge_without_rescale, "rescale", "sums added as they are"),
    Answer(check_my_merge_partials, merge_nan_on_masked, "nan", "-inf - (-inf) on masked rows"),
    Answer(check_my_merge_partials, merge_keeps_first_max, "max", "the first block's maximum"),
    Answer(check_my_merge_partials, merge_normalised, "normalised", "divides by the sum early"),
    Answer(check_my_merge_partials, merge_squeezed, "shape", "drops the trailing axis"),
    Answer(check_my_merge_partials, merge_in_place, "mutated", "writes into out_a"),
    Answer(check_my_row_term, row_term_right, "pass"),
    Answer(check_my_row_term, row_term_by_einsum, "pass", "einsum over the features"),
    Answer(check_my_row_term, row_term_by_batched_dot, "pass", "a batched dot product, kept axes"),
    Answer(check_my_row_term, row_term_every_pair, "pairs", "dO O^T: every pair of queries"),
    Answer(check_my_row_term, row_term_over_queries, "axis", "sums over the queries"),
    Answer(check_my_row_term, row_term_squeezed, "broadcast", "drops the size-1 axis"),
    Answer(check_my_row_term, row_term_dO_only, "factor", "sums dO alone"),
    Answer(check_my_row_term, row_term_negated, "sign", "the opposite sign"),
    Answer(check_my_row_term, row_term_mean, "mean", "averages over the features"),
    Answer(check_my_row_term, row_term_in_place, "mutated", "writes into dO"),
]

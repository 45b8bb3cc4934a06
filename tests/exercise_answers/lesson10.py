"""Right and wrong answers to the exercises of lesson 10 (FlashAttention)."""

from __future__ import annotations

import math

import torch

from attn_course.checks.lesson10 import check_my_merge_partials, check_my_row_term_by_blocks
from attn_course.tiling import block_scores
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


def merge_rescales_a_only(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max = torch.maximum(max_a, max_b)
    shift = new_max.masked_fill(new_max == float("-inf"), 0.0)
    rescale_a = torch.exp(max_a - shift)  # block b left on its own maximum
    return new_max, sum_a * rescale_a + sum_b, out_a * rescale_a + out_b


def merge_rescales_b_only(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max = torch.maximum(max_a, max_b)
    shift = new_max.masked_fill(new_max == float("-inf"), 0.0)
    rescale_b = torch.exp(max_b - shift)  # block a left on its own maximum
    return new_max, sum_a + sum_b * rescale_b, out_a + out_b * rescale_b


def merge_copied_step(max_a, sum_a, out_a, max_b, sum_b, out_b):
    # online_softmax_step's update, with block b's sum taken for a fresh block's
    new_max = torch.maximum(max_a, max_b)
    rescale = torch.where(max_a == float("-inf"), 0.0, torch.exp(max_a - new_max))
    return new_max, sum_a * rescale + sum_b, out_a * rescale + out_b


def merge_max_is_shift(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    return new_max.masked_fill(new_max == float("-inf"), 0.0), total, output  # the shift


def merge_exp_of_maxima(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max = torch.maximum(max_a, max_b)
    shift = new_max.masked_fill(new_max == float("-inf"), 0.0)
    weight_a, weight_b = torch.exp(max_a), torch.exp(max_b)  # overflow past about 709.8
    undo = torch.exp(-shift)
    return (
        new_max,
        (sum_a * weight_a + sum_b * weight_b) * undo,
        (out_a * weight_a + out_b * weight_b) * undo,
    )


def merge_onto_a(max_a, sum_a, out_a, max_b, sum_b, out_b):
    # block b moved onto block a's maximum (e^(m_b - m_a) > 1 can overflow), then the pair
    shift_a = max_a.masked_fill(max_a == float("-inf"), 0.0)
    factor_b = torch.exp(max_b - shift_a)
    new_max = torch.maximum(max_a, max_b)
    factor = torch.exp(shift_a - new_max.masked_fill(new_max == float("-inf"), 0.0))
    return new_max, (sum_a + sum_b * factor_b) * factor, (out_a + out_b * factor_b) * factor


def merge_onto_smaller_max(max_a, sum_a, out_a, max_b, sum_b, out_b):
    # both blocks moved onto the smaller maximum (exponents up to m_b - m_a > 0), then the pair
    new_max, low = torch.maximum(max_a, max_b), torch.minimum(max_a, max_b)
    low = low.masked_fill(low == float("-inf"), 0.0)
    factor_a, factor_b = torch.exp(max_a - low), torch.exp(max_b - low)
    factor = torch.exp(low - new_max.masked_fill(new_max == float("-inf"), 0.0))
    return (
        new_max,
        (sum_a * factor_a + sum_b * factor_b) * factor,
        (out_a * factor_a + out_b * factor_b) * factor,
    )


def merge_keeps_first_max(max_a, sum_a, out_a, max_b, sum_b, out_b):
    _, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    return max_a, total, output


def merge_normalised(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    return new_max, total, output / total.masked_fill(total == 0, 1.0)


def merge_squeezed(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    return new_max.squeeze(-1), total.squeeze(-1), output


def merge_float32(max_a, sum_a, out_a, max_b, sum_b, out_b):
    return tuple(t.float() for t in merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b))


def merge_in_place(max_a, sum_a, out_a, max_b, sum_b, out_b):
    new_max, total, output = merge_right(max_a, sum_a, out_a, max_b, sum_b, out_b)
    out_a.copy_(output)
    return new_max, total, out_a


# ------------------------------------------------------------------ row term, by blocks


def row_term_right(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    D = torch.zeros_like(logsumexp)  # (batch, queries, 1)
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        P = torch.exp(block_scores(queries, K, start, valid_lens) - logsumexp)
        D = D + (P * (dO @ V.transpose(1, 2))).sum(dim=-1, keepdim=True)
    return D


def row_term_by_hand(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    D = torch.zeros_like(logsumexp)
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        scores = queries @ K.transpose(1, 2) / math.sqrt(queries.shape[-1])
        if valid_lens is not None:
            lens = valid_lens.reshape(len(valid_lens), -1)[..., None]  # (batch, 1 or q, 1)
            keys_here = torch.arange(start, start + K.shape[1])
            scores = scores.masked_fill(keys_here >= lens, float("-inf"))
        P = torch.exp(scores - logsumexp)
        D += torch.einsum("bqk,bqk->bq", P, dO @ V.transpose(1, 2))[..., None]
    return D


def row_term_through_output(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    output = torch.zeros_like(dO)  # O rebuilt block by block, then D_i = dO_i . o_i
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        output = output + torch.exp(block_scores(queries, K, start, valid_lens) - logsumexp) @ V
    return (dO * output).sum(dim=-1, keepdim=True)


def row_term_whole_rows(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    P = torch.exp(block_scores(queries, keys, 0, valid_lens) - logsumexp)  # every key at once
    return (P * (dO @ values.transpose(1, 2))).sum(dim=-1, keepdim=True)


def row_term_full_softmax(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    scores = block_scores(queries, keys, 0, valid_lens)  # (batch, queries, keys)
    P = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # L and block_size unused
    return (P * (dO @ values.transpose(1, 2))).sum(dim=-1, keepdim=True)


def row_term_exp_apart(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    D = torch.zeros_like(logsumexp)
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        S = block_scores(queries, K, start, valid_lens)
        P = torch.exp(S) * torch.exp(-logsumexp)  # e^S overflows past about 709.8
        D = D + (P * (dO @ V.transpose(1, 2))).sum(dim=-1, keepdim=True)
    return D


def row_term_last_block_only(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        P = torch.exp(block_scores(queries, K, start, valid_lens) - logsumexp)
        D = (P * (dO @ V.transpose(1, 2))).sum(dim=-1, keepdim=True)  # overwritten
    return D


def row_term_returns_in_the_loop(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    D = torch.zeros_like(logsumexp)
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        P = torch.exp(block_scores(queries, K, start, valid_lens) - logsumexp)
        D = D + (P * (dO @ V.transpose(1, 2))).sum(dim=-1, keepdim=True)
        return D  # one block too early


def row_term_block_softmax(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    D = torch.zeros_like(logsumexp)
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        P = torch.softmax(block_scores(queries, K, start, valid_lens), dim=-1)
        D = D + (P * (dO @ V.transpose(1, 2))).sum(dim=-1, keepdim=True)
    return D


def row_term_exp_scores(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    D = torch.zeros_like(logsumexp)
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        P = torch.exp(block_scores(queries, K, start, valid_lens))
        D = D + (P * (dO @ V.transpose(1, 2))).sum(dim=-1, keepdim=True)
    return D


def row_term_unscaled(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    D = torch.zeros_like(logsumexp)
    for start in range(0, keys.shape[1], block_size):
        K, V = keys[:, start : start + block_size], values[:, start : start + block_size]
        P = torch.exp(queries @ K.transpose(1, 2) - logsumexp)  # no / sqrt(d), no mask
        D = D + (P * (dO @ V.transpose(1, 2))).sum(dim=-1, keepdim=True)
    return D


def row_term_ignores_lengths(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    return row_term_right(queries, keys, values, dO, logsumexp, block_size)


def row_term_squeezed(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    return row_term_right(queries, keys, values, dO, logsumexp, block_size, valid_lens)[..., 0]


def row_term_float32(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    batch_size, num_queries, _ = queries.shape
    D = torch.zeros(batch_size, num_queries, 1)  # float32: += keeps its dtype
    D += row_term_right(queries, keys, values, dO, logsumexp, block_size, valid_lens)
    return D


def row_term_in_place(queries, keys, values, dO, logsumexp, block_size, valid_lens=None):
    D = row_term_right(queries, keys, values, dO, logsumexp, block_size, valid_lens)
    logsumexp.copy_(D)
    return D


ANSWERS = [
    Answer(check_my_merge_partials, merge_right, "pass"),
    Answer(check_my_merge_partials, merge_by_where, "pass", "masked blocks weighted by 0"),
    Answer(check_my_merge_partials, merge_without_rescale, "rescale", "sums added as they are"),
    Answer(check_my_merge_partials, merge_rescales_a_only, "one_block", "block b not moved"),
    Answer(check_my_merge_partials, merge_rescales_b_only, "one_block", "block a not moved"),
    Answer(check_my_merge_partials, merge_copied_step, "one_block", "step copied, b as fresh"),
    Answer(check_my_merge_partials, merge_nan_on_masked, "nan", "-inf - (-inf) on masked rows"),
    Answer(check_my_merge_partials, merge_keeps_first_max, "max", "the first block's maximum"),
    Answer(check_my_merge_partials, merge_max_is_shift, "masked_max", "0 for a row with no key"),
    Answer(check_my_merge_partials, merge_exp_of_maxima, "overflow", "e^m_a, e^m_b, then e^-m"),
    Answer(check_my_merge_partials, merge_onto_a, "overflow", "b onto a's maximum, then"),
    Answer(check_my_merge_partials, merge_onto_smaller_max, "overflow", "onto the smaller max"),
    Answer(check_my_merge_partials, merge_normalised, "normalised", "divides by the sum early"),
    Answer(check_my_merge_partials, merge_squeezed, "shape", "drops the trailing axis"),
    Answer(check_my_merge_partials, merge_in_place, "mutated", "writes into out_a"),
    Answer(check_my_merge_partials, merge_float32, "dtype", "float32 from float64 inputs"),
    Answer(check_my_row_term_by_blocks, row_term_right, "pass"),
    Answer(check_my_row_term_by_blocks, row_term_by_hand, "pass", "own scores and masks"),
    Answer(check_my_row_term_by_blocks, row_term_through_output, "pass", "O rebuilt, then dO.O"),
    Answer(check_my_row_term_by_blocks, row_term_whole_rows, "whole", "scores of every key"),
    Answer(check_my_row_term_by_blocks, row_term_full_softmax, "whole", "softmax of whole rows"),
    Answer(check_my_row_term_by_blocks, row_term_exp_apart, "overflow", "e^S times e^-L"),
    Answer(check_my_row_term_by_blocks, row_term_last_block_only, "accumulate", "D overwritten"),
    Answer(
        check_my_row_term_by_blocks,
        row_term_returns_in_the_loop,
        "accumulate",
        "returns after the first block",
    ),
    Answer(
        check_my_row_term_by_blocks,
        row_term_block_softmax,
        "normalised",
        "softmax within each block",
    ),
    Answer(check_my_row_term_by_blocks, row_term_exp_scores, "logsumexp", "e^S, L unused"),
    Answer(check_my_row_term_by_blocks, row_term_unscaled, "scale", "no / sqrt(d)"),
    Answer(check_my_row_term_by_blocks, row_term_ignores_lengths, "mask", "valid_lens unused"),
    Answer(check_my_row_term_by_blocks, row_term_squeezed, "broadcast", "drops the size-1 axis"),
    Answer(check_my_row_term_by_blocks, row_term_in_place, "mutated", "writes into logsumexp"),
    Answer(check_my_row_term_by_blocks, row_term_float32, "dtype", "D made float32, then +="),
]

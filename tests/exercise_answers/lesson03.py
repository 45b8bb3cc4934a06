"""Right and wrong answers to lesson 03's exercises (a left-padded masked softmax, the causal
mask of a step with a KV cache, the padding's weight).

The right answers are written independently of the package (loops and comparisons); each
wrong one makes a typical mistake, and ``expect`` names the failure the check must find.
"""

from __future__ import annotations

import torch

from attn_course.checks.lesson03 import (
    check_my_cached_causal_mask,
    check_my_left_padded_softmax,
    check_my_pad_weight,
)
from attn_course.masking import causal_mask
from exercise_answers import Answer

# --- exercise 1: a masked softmax for a batch padded on the left ---------------------------


def left_padded_by_slicing(X, valid_lens):
    weights = torch.zeros_like(X)
    num_keys = X.shape[-1]
    for b in range(X.shape[0]):
        n = int(valid_lens[b])
        if n:
            weights[b, :, num_keys - n :] = torch.softmax(X[b, :, num_keys - n :], dim=-1)
    return weights


def visible(X, valid_lens):
    """(batch, 1, keys): True on the last valid_lens[b] keys of sequence b."""
    num_keys = X.shape[-1]
    return torch.arange(num_keys) >= num_keys - valid_lens[:, None, None]


def guarded_softmax(X, keep):
    scores = X.masked_fill(~keep, float("-inf"))
    scores = scores.masked_fill(~keep.any(-1, keepdim=True), 0.0)
    return torch.softmax(scores, dim=-1) * keep


def left_padded_by_comparison(X, valid_lens):
    return guarded_softmax(X, visible(X, valid_lens))


def left_padded_minus_inf(X, valid_lens):
    """-inf on padding: NaN where nothing is valid."""
    return torch.softmax(X.masked_fill(~visible(X, valid_lens), float("-inf")), dim=-1)


def left_padded_minus_a_million(X, valid_lens):
    """d2l's trick: -1e6 on padding gives a uniform row where nothing is valid."""
    return torch.softmax(X.masked_fill(~visible(X, valid_lens), -1e6), dim=-1)


def left_padded_naive_exp(X, valid_lens):
    """exp() without subtracting the maximum: overflows on large scores."""
    exps = torch.exp(X) * visible(X, valid_lens)
    total = exps.sum(-1, keepdim=True)
    return torch.where(total > 0, exps / total.clamp_min(1e-30), torch.zeros_like(exps))


def left_padded_in_place(X, valid_lens):
    """Right values, but writes -inf into its input."""
    keep = visible(X, valid_lens).expand(X.shape)
    X[~keep] = float("-inf")
    empty = ~keep.any(-1, keepdim=True)
    return torch.softmax(X.masked_fill(empty, 0.0), dim=-1) * keep


def left_padded_on_the_right(X, valid_lens):
    """The lesson's mask: the real keys taken first, as for a batch padded on the right."""
    return guarded_softmax(X, torch.arange(X.shape[-1]) < valid_lens[:, None, None])


def left_padded_strict(X, valid_lens):
    """`>` for `>=`: hides the first real key."""
    num_keys = X.shape[-1]
    return guarded_softmax(X, torch.arange(num_keys) > num_keys - valid_lens[:, None, None])


def left_padded_one_pad_too_many(X, valid_lens):
    """Counts from num_keys - 1: shows the <pad> just before the real keys."""
    num_keys = X.shape[-1]
    return guarded_softmax(X, torch.arange(num_keys) >= num_keys - 1 - valid_lens[:, None, None])


def left_padded_lengths_along_queries(X, valid_lens):
    """(batch,) lengths without a queries axis: a (batch, keys) mask lines up with the
    queries. It raises when batch != queries (the first case); the square case of the check
    names the broadcast."""
    num_keys = X.shape[-1]
    return guarded_softmax(X, torch.arange(num_keys) >= num_keys - valid_lens[:, None])


def left_padded_lengths_along_queries_when_square(X, valid_lens):
    """The same broadcast where the shapes allow it, right elsewhere: the silent form,
    which only a square batch (as many sequences as queries) shows."""
    if X.shape[0] == X.shape[1]:
        return left_padded_lengths_along_queries(X, valid_lens)
    return left_padded_by_comparison(X, valid_lens)


def left_padded_after_the_fact(X, valid_lens):
    """Zeros the padded weights of a plain softmax: rows no longer sum to 1."""
    return torch.softmax(X, dim=-1) * visible(X, valid_lens)


def left_padded_unmasked(X, valid_lens):
    """Forgets the mask."""
    return torch.softmax(X, dim=-1)


def left_padded_over_queries(X, valid_lens):
    """Softmax over the queries axis."""
    return torch.softmax(X.masked_fill(~visible(X, valid_lens), float("-inf")), dim=1)


def left_padded_additive_nan_to_num(X, valid_lens):
    """Right weights (NaN replaced after the softmax), but a NaN gradient on empty rows."""
    additive = torch.zeros_like(X).masked_fill(~visible(X, valid_lens), float("-inf"))
    return torch.nan_to_num(torch.softmax(X + additive, dim=-1))


def left_padded_additive_where(X, valid_lens):
    """The same with torch.where: the NaN still reaches X through the addition."""
    additive = torch.zeros_like(X).masked_fill(~visible(X, valid_lens), float("-inf"))
    weights = torch.softmax(X + additive, dim=-1)
    empty = ~visible(X, valid_lens).any(-1, keepdim=True)
    return torch.where(empty, torch.zeros_like(weights), weights)


def left_padded_in_float32(X, valid_lens):
    """Right weights, always returned in float32."""
    return left_padded_by_comparison(X.float(), valid_lens)


def left_padded_by_hand(X, valid_lens):
    """exp and sum written out, the maximum over the visible keys: right, to float16's
    rounding in float16."""
    keep = visible(X, valid_lens)
    scores = X.masked_fill(~keep, float("-inf"))
    largest = scores.max(-1, keepdim=True).values.nan_to_num(0.0, neginf=0.0)
    exps = torch.exp(scores - largest)
    return exps / exps.sum(-1, keepdim=True).clamp_min(1e-4)


def left_padded_lowest_of_dtype(X, valid_lens):
    """The most negative number of X's own dtype, then the mask: right in every dtype."""
    keep = visible(X, valid_lens)
    return torch.softmax(X.masked_fill(~keep, torch.finfo(X.dtype).min), dim=-1) * keep


def left_padded_max_over_all_keys(X, valid_lens):
    """Subtracts the maximum over all keys, <pad> included: exp underflows to 0 on a row
    whose <pad> scores are far above its real ones."""
    exps = torch.exp(X - X.max(-1, keepdim=True).values) * visible(X, valid_lens)
    return exps / (exps.sum(-1, keepdim=True) + 1e-9)


def left_padded_max_of_the_batch(X, valid_lens):
    """Subtracts one maximum for the whole batch: the same underflow."""
    exps = torch.exp(X - X.max()) * visible(X, valid_lens)
    return exps / exps.sum(-1, keepdim=True).clamp_min(1e-30)


def left_padded_minus_a_billion(X, valid_lens):
    """-1e9 then the mask: right in float32 and float64, raises on float16 scores."""
    keep = visible(X, valid_lens)
    return torch.softmax(X.masked_fill(~keep, -1e9), dim=-1) * keep


def left_padded_lowest_float32(X, valid_lens):
    """The most negative float32 as the fill, whatever X's dtype: raises on float16."""
    keep = visible(X, valid_lens)
    return torch.softmax(X.masked_fill(~keep, torch.finfo(torch.float32).min), dim=-1) * keep


def left_padded_additive_billion(X, valid_lens):
    """An additive -1e9 mask made from the bool mask: a float32 tensor, which turns float16
    scores into float32 weights."""
    keep = visible(X, valid_lens)
    return torch.softmax(X + (~keep) * -1e9, dim=-1) * keep


ANSWERS = [
    Answer(check_my_left_padded_softmax, left_padded_by_slicing, "pass"),
    Answer(check_my_left_padded_softmax, left_padded_by_comparison, "pass"),
    Answer(check_my_left_padded_softmax, left_padded_minus_inf, "nan", "0/0 on an empty row"),
    Answer(
        check_my_left_padded_softmax,
        left_padded_minus_a_million,
        "empty_row",
        "uniform weights on an empty row",
    ),
    Answer(check_my_left_padded_softmax, left_padded_naive_exp, "overflow", "exp(133) is inf"),
    Answer(check_my_left_padded_softmax, left_padded_in_place, "mutated", "writes into X"),
    Answer(
        check_my_left_padded_softmax,
        left_padded_on_the_right,
        "side",
        "the lesson's right-padded mask",
    ),
    Answer(check_my_left_padded_softmax, left_padded_strict, "off_by_one", "> for >="),
    Answer(
        check_my_left_padded_softmax,
        left_padded_one_pad_too_many,
        "off_by_one",
        "one <pad> too many",
    ),
    Answer(
        check_my_left_padded_softmax,
        left_padded_lengths_along_queries,
        "raised",
        "a (batch, keys) mask against (batch, queries, keys)",
    ),
    Answer(
        check_my_left_padded_softmax,
        left_padded_lengths_along_queries_when_square,
        "query_axis",
        "the lengths broadcast along the queries axis, silently",
    ),
    Answer(check_my_left_padded_softmax, left_padded_after_the_fact, "rows", "not renormalised"),
    Answer(check_my_left_padded_softmax, left_padded_unmasked, "padding", "no mask at all"),
    Answer(check_my_left_padded_softmax, left_padded_over_queries, "axis", "dim=1"),
    Answer(
        check_my_left_padded_softmax,
        left_padded_additive_nan_to_num,
        "gradient",
        "NaN gradient through an additive -inf mask",
    ),
    Answer(
        check_my_left_padded_softmax,
        left_padded_additive_where,
        "gradient",
        "torch.where after the fact",
    ),
    Answer(
        check_my_left_padded_softmax, left_padded_in_float32, "dtype", "float64 in, float32 out"
    ),
    Answer(check_my_left_padded_softmax, left_padded_by_hand, "pass"),
    Answer(check_my_left_padded_softmax, left_padded_lowest_of_dtype, "pass"),
    Answer(
        check_my_left_padded_softmax,
        left_padded_max_over_all_keys,
        "underflow",
        "the maximum of a hidden key subtracted",
    ),
    Answer(
        check_my_left_padded_softmax,
        left_padded_max_of_the_batch,
        "underflow",
        "the batch's maximum subtracted",
    ),
    Answer(check_my_left_padded_softmax, left_padded_minus_a_billion, "fill", "-1e9 in float16"),
    Answer(
        check_my_left_padded_softmax,
        left_padded_lowest_float32,
        "fill",
        "float32's lowest number in float16",
    ),
    Answer(
        check_my_left_padded_softmax,
        left_padded_additive_billion,
        "dtype",
        "float16 in, float32 out",
    ),
]

# --- exercise 2: the causal mask of a step with a KV cache ----------------------------------


def cached_causal_by_comparison(num_queries, num_keys):
    positions = torch.arange(num_keys - num_queries, num_keys)[:, None]  # the queries' keys
    return torch.arange(num_keys)[None, :] <= positions


def cached_causal_last_rows(num_queries, num_keys):
    """The last rows of the square mask of all the positions."""
    return torch.ones(num_keys, num_keys, dtype=torch.bool).tril()[num_keys - num_queries :]


def cached_causal_top_left(num_queries, num_keys):
    """The lesson's causal_mask: right only when nothing is cached."""
    return causal_mask(num_queries, num_keys)


def cached_causal_one_ahead(num_queries, num_keys):
    """Offset one too large: each query sees the next position too."""
    ones = torch.ones(num_queries, num_keys, dtype=torch.bool)
    return ones.tril(diagonal=num_keys - num_queries + 1)


def cached_causal_upper(num_queries, num_keys):
    return torch.ones(num_queries, num_keys, dtype=torch.bool).triu(num_keys - num_queries)


def cached_causal_strict(num_queries, num_keys):
    ones = torch.ones(num_queries, num_keys, dtype=torch.bool)
    return ones.tril(diagonal=num_keys - num_queries - 1)


def cached_causal_as_floats(num_queries, num_keys):
    return torch.ones(num_queries, num_keys).tril(diagonal=num_keys - num_queries)


def cached_causal_all_visible(num_queries, num_keys):
    """Every cached key is visible, so every key is: not causal at all."""
    return torch.ones(num_queries, num_keys, dtype=torch.bool)


def cached_causal_square(num_queries, num_keys):
    return torch.ones(num_keys, num_keys, dtype=torch.bool).tril()


ANSWERS += [
    Answer(check_my_cached_causal_mask, cached_causal_by_comparison, "pass"),
    Answer(check_my_cached_causal_mask, cached_causal_last_rows, "pass"),
    Answer(
        check_my_cached_causal_mask, cached_causal_top_left, "alignment", "lined up at the top left"
    ),
    Answer(check_my_cached_causal_mask, cached_causal_one_ahead, "alignment", "sees one ahead"),
    Answer(check_my_cached_causal_mask, cached_causal_upper, "transposed", "sees the future"),
    Answer(check_my_cached_causal_mask, cached_causal_strict, "diagonal", "hides its own key"),
    Answer(check_my_cached_causal_mask, cached_causal_all_visible, "not_causal", "all True"),
    Answer(check_my_cached_causal_mask, cached_causal_as_floats, "dtype", "float ones"),
    Answer(check_my_cached_causal_mask, cached_causal_square, "shape", "all the positions"),
]

# --- exercise 3: how much weight does padding take? ----------------------------------------


def pad_weight_by_counting(num_real, num_pad):
    """Every key has the same expected weight, 1 / (num_real + num_pad)."""
    share_of_one_key = 1 / (num_real + num_pad)
    return sum(share_of_one_key for _ in range(num_pad))


def pad_weight_swapped(num_real, num_pad):
    return num_real / (num_real + num_pad)


def pad_weight_ratio(num_real, num_pad):
    return num_pad / num_real


def pad_weight_zero(num_real, num_pad):
    return 0.0


def pad_weight_one_pad(num_real, num_pad):
    return 1 / (num_real + num_pad)


def pad_weight_as_tensor(num_real, num_pad):
    """Right, as a 0-dim tensor: accepted."""
    return torch.tensor(num_pad / (num_real + num_pad))


ANSWERS += [
    Answer(check_my_pad_weight, pad_weight_by_counting, "pass"),
    Answer(check_my_pad_weight, pad_weight_as_tensor, "pass"),
    Answer(check_my_pad_weight, pad_weight_swapped, "swapped", "the real keys' share"),
    Answer(check_my_pad_weight, pad_weight_ratio, "ratio", "pads per real key"),
    Answer(check_my_pad_weight, pad_weight_zero, "zero", "as if masked"),
    Answer(check_my_pad_weight, pad_weight_one_pad, "one_pad", "one pad's share"),
]

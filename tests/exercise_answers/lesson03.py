"""Right and wrong answers to lesson 03's exercises (masked softmax, causal mask, padding weight).

The right answers are written independently of the package (loops and comparisons); each
wrong one makes a typical mistake, and ``expect`` names the failure the check must find.
"""

from __future__ import annotations

import torch

from attn_course.checks.lesson03 import (
    check_my_causal_mask,
    check_my_masked_softmax,
    check_my_pad_weight,
)
from exercise_answers import Answer


def lens_2d(X, valid_lens):
    """(batch, queries) lengths from (batch,) or (batch, queries) ones."""
    return valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(X.shape[:2])


def masked_softmax_by_slicing(X, valid_lens):
    weights = torch.zeros_like(X)
    lens = lens_2d(X, valid_lens)
    for b in range(X.shape[0]):
        for q in range(X.shape[1]):
            n = int(lens[b, q])
            if n:
                weights[b, q, :n] = torch.softmax(X[b, q, :n], dim=-1)
    return weights


def visible(X, valid_lens):
    return torch.arange(X.shape[-1]) < lens_2d(X, valid_lens)[:, :, None]  # (b, q, k)


def masked_softmax_minus_inf(X, valid_lens):
    """-inf on padding: NaN where nothing is valid."""
    return torch.softmax(X.masked_fill(~visible(X, valid_lens), float("-inf")), dim=-1)


def masked_softmax_minus_a_million(X, valid_lens):
    """d2l's trick: -1e6 on padding gives a uniform row where nothing is valid."""
    return torch.softmax(X.masked_fill(~visible(X, valid_lens), -1e6), dim=-1)


def masked_softmax_naive_exp(X, valid_lens):
    """exp() without subtracting the maximum: overflows on large scores."""
    exps = torch.exp(X) * visible(X, valid_lens)
    total = exps.sum(-1, keepdim=True)
    return torch.where(total > 0, exps / total.clamp_min(1e-30), torch.zeros_like(exps))


def masked_softmax_in_place(X, valid_lens):
    """Right values, but writes -inf into its input."""
    keep = visible(X, valid_lens)
    X[~keep] = float("-inf")
    empty = ~keep.any(-1, keepdim=True)
    return torch.softmax(X.masked_fill(empty, 0.0), dim=-1) * keep


def masked_softmax_1d_only(X, valid_lens):
    """Handles lengths of shape (batch,) only."""
    keep = torch.arange(X.shape[-1]) < valid_lens.reshape(-1, 1, 1)
    scores = X.masked_fill(~keep, float("-inf")).masked_fill(~keep.any(-1, keepdim=True), 0.0)
    return torch.softmax(scores, dim=-1) * keep


def masked_softmax_after_the_fact(X, valid_lens):
    """Zeros the padded weights of a plain softmax: rows no longer sum to 1."""
    return torch.softmax(X, dim=-1) * visible(X, valid_lens)


def masked_softmax_unmasked(X, valid_lens):
    """Forgets the mask."""
    return torch.softmax(X, dim=-1)


def masked_softmax_off_by_one(X, valid_lens):
    """Counts the key at index valid_len as real: `<=` for `<`."""
    keep = torch.arange(X.shape[-1]) <= lens_2d(X, valid_lens)[:, :, None]
    scores = X.masked_fill(~keep, float("-inf")).masked_fill(~keep.any(-1, keepdim=True), 0.0)
    return torch.softmax(scores, dim=-1) * keep


def additive_mask(X, valid_lens):
    """0 on the visible keys, -inf on the hidden ones, to be added to the scores."""
    return torch.zeros_like(X).masked_fill(~visible(X, valid_lens), float("-inf"))


def masked_softmax_additive_nan_to_num(X, valid_lens):
    """Right weights (NaN replaced after the softmax), but a NaN gradient on empty rows."""
    return torch.nan_to_num(torch.softmax(X + additive_mask(X, valid_lens), dim=-1))


def masked_softmax_additive_where(X, valid_lens):
    """The same with torch.where: the NaN still reaches X through the addition."""
    weights = torch.softmax(X + additive_mask(X, valid_lens), dim=-1)
    empty = ~visible(X, valid_lens).any(-1, keepdim=True)
    return torch.where(empty, torch.zeros_like(weights), weights)


def masked_softmax_over_queries(X, valid_lens):
    """Softmax over the queries axis."""
    return torch.softmax(X.masked_fill(~visible(X, valid_lens), float("-inf")), dim=1)


def causal_mask_by_comparison(num_queries, num_keys):
    return torch.arange(num_keys)[None, :] <= torch.arange(num_queries)[:, None]


def causal_mask_upper(num_queries, num_keys):
    return torch.ones(num_queries, num_keys, dtype=torch.bool).triu()


def causal_mask_strict(num_queries, num_keys):
    return torch.ones(num_queries, num_keys, dtype=torch.bool).tril(diagonal=-1)


def causal_mask_as_floats(num_queries, num_keys):
    return torch.ones(num_queries, num_keys).tril()


def causal_mask_square(num_queries, num_keys):
    return torch.ones(num_queries, num_queries, dtype=torch.bool).tril()


ANSWERS = [
    Answer(check_my_masked_softmax, masked_softmax_by_slicing, "pass"),
    Answer(check_my_masked_softmax, masked_softmax_minus_inf, "nan", "0/0 on an empty row"),
    Answer(check_my_masked_softmax, masked_softmax_minus_a_million, "empty_row",
           "uniform weights on an empty row"),
    Answer(check_my_masked_softmax, masked_softmax_naive_exp, "overflow", "exp(200) is inf"),
    Answer(check_my_masked_softmax, masked_softmax_in_place, "mutated", "writes into X"),
    Answer(check_my_masked_softmax, masked_softmax_1d_only, "raised", "no 2-D lengths"),
    Answer(check_my_masked_softmax, masked_softmax_after_the_fact, "rows", "not renormalised"),
    Answer(check_my_masked_softmax, masked_softmax_unmasked, "padding", "no mask at all"),
    Answer(check_my_masked_softmax, masked_softmax_over_queries, "axis", "dim=1"),
    Answer(check_my_causal_mask, causal_mask_by_comparison, "pass"),
    Answer(check_my_causal_mask, causal_mask_upper, "transposed", "sees the future"),
    Answer(check_my_causal_mask, causal_mask_strict, "diagonal", "hides the diagonal"),
    Answer(check_my_causal_mask, causal_mask_as_floats, "dtype", "float ones"),
    Answer(check_my_causal_mask, causal_mask_square, "shape", "ignores num_keys"),
]


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
    Answer(check_my_masked_softmax, masked_softmax_off_by_one, "off_by_one", "<= for <"),
    Answer(check_my_masked_softmax, masked_softmax_additive_nan_to_num, "gradient",
           "NaN gradient through an additive -inf mask"),
    Answer(check_my_masked_softmax, masked_softmax_additive_where, "gradient",
           "torch.where after the fact"),
    Answer(check_my_pad_weight, pad_weight_by_counting, "pass"),
    Answer(check_my_pad_weight, pad_weight_as_tensor, "pass"),
    Answer(check_my_pad_weight, pad_weight_swapped, "swapped", "the real keys' share"),
    Answer(check_my_pad_weight, pad_weight_ratio, "ratio", "pads per real key"),
    Answer(check_my_pad_weight, pad_weight_zero, "zero", "as if masked"),
    Answer(check_my_pad_weight, pad_weight_one_pad, "one_pad", "one pad's share"),
]

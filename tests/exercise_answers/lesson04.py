"""Right and wrong answers to lesson 04's exercises (bilinear, Gaussian and scaled scores)."""

from __future__ import annotations

import torch

from attn_course.checks.lesson04 import (
    check_my_bilinear_scores,
    check_my_gaussian_scores,
    check_my_scaled_scores,
)
from exercise_answers import Answer


def bilinear_by_einsum(queries, keys, W):
    return torch.einsum("bqi,ij,bkj->bqk", queries, W, keys)


def bilinear_transposed_W(queries, keys, W):
    """q^T W^T k: fails loudly once W is not square."""
    return torch.einsum("bqi,ji,bkj->bqk", queries, W, keys)


def bilinear_keys_first(queries, keys, W):
    """(batch, keys, queries)."""
    return bilinear_by_einsum(queries, keys, W).transpose(1, 2)


def bilinear_without_transpose(queries, keys, W):
    """queries @ W @ keys: the keys axis is in the wrong place."""
    return queries @ W @ keys


def bilinear_extra_axis(queries, keys, W):
    """(batch, queries, keys, 1): an axis of size 1 kept from a product with a column."""
    return bilinear_by_einsum(queries, keys, W).unsqueeze(-1)


def bilinear_doubled(queries, keys, W):
    return 2 * bilinear_by_einsum(queries, keys, W)


def gaussian_by_expansion(queries, keys, sigma):
    dot = torch.bmm(queries, keys.transpose(1, 2))  # (batch, queries, keys)
    q2 = (queries**2).sum(-1).unsqueeze(2)  # (batch, queries, 1)
    k2 = (keys**2).sum(-1).unsqueeze(1)  # (batch, 1, keys)
    return (2 * dot - q2 - k2) / (2 * sigma**2)


def gaussian_by_differences(queries, keys, sigma):
    """Right values through a (batch, queries, keys, d) tensor: what the exercise rules out."""
    return -((queries.unsqueeze(2) - keys.unsqueeze(1)) ** 2).sum(-1) / (2 * sigma**2)


def gaussian_by_differences_per_sequence(queries, keys, sigma):
    """A loop over the batch: a (queries, keys, d) tensor of differences for each sequence."""
    return torch.stack(
        [
            -((q.unsqueeze(1) - k.unsqueeze(0)) ** 2).sum(-1) / (2 * sigma**2)
            for q, k in zip(queries, keys, strict=True)
        ]
    )


def gaussian_by_cdist(queries, keys, sigma):
    """torch.cdist never holds the differences of every pair: allowed, if not the exercise."""
    return -(torch.cdist(queries, keys) ** 2) / (2 * sigma**2)


def gaussian_without_query_term(queries, keys, sigma):
    """Drops -|q|^2: the softmax is the same, the scores are not."""
    dot = torch.bmm(queries, keys.transpose(1, 2))
    return (2 * dot - (keys**2).sum(-1).unsqueeze(1)) / (2 * sigma**2)


def gaussian_distance(queries, keys, sigma):
    """Forgets the minus sign."""
    return -gaussian_by_expansion(queries, keys, sigma)


def gaussian_without_the_two(queries, keys, sigma):
    return 2 * gaussian_by_expansion(queries, keys, sigma)


def gaussian_by_two_sigma(queries, keys, sigma):
    """2 sigma for 2 sigma^2: right on sigma = 1 only, off by sigma elsewhere."""
    return sigma * gaussian_by_expansion(queries, keys, sigma)


def gaussian_times_sigma_squared(queries, keys, sigma):
    """/ 2 * sigma**2 without parentheses: multiplies by sigma^2 instead of dividing."""
    return sigma**4 * gaussian_by_expansion(queries, keys, sigma)


def gaussian_keys_first(queries, keys, sigma):
    return gaussian_by_expansion(queries, keys, sigma).transpose(1, 2)


def scaled_by_variance(queries, keys, sigma):
    d = queries.shape[-1]
    return torch.bmm(queries, keys.transpose(1, 2)) / (sigma**2 * d**0.5)


def scaled_sqrt_d_only(queries, keys, sigma):
    """The lesson's 1/sqrt(d), which assumes sigma = 1."""
    return torch.bmm(queries, keys.transpose(1, 2)) / queries.shape[-1] ** 0.5


def scaled_sigma_sqrt_d(queries, keys, sigma):
    """sigma sqrt(d): sigma is the entries' standard deviation, but a product has sigma^2."""
    return torch.bmm(queries, keys.transpose(1, 2)) / (sigma * queries.shape[-1] ** 0.5)


def scaled_by_d(queries, keys, sigma):
    """Divides by the variance d sigma^2 rather than by a standard deviation."""
    return torch.bmm(queries, keys.transpose(1, 2)) / (sigma**2 * queries.shape[-1])


def scaled_by_d_only(queries, keys, sigma):
    """Divides by d: right for neither sigma nor d (in the case sigma = 2, d = 64 the factor
    sigma^2 / sqrt(d) = 0.5 looks like 1 / sigma)."""
    return torch.bmm(queries, keys.transpose(1, 2)) / queries.shape[-1]


def scaled_twice_too_much(queries, keys, sigma):
    """2 sigma^2 sqrt(d): the right law, a constant factor off."""
    return torch.bmm(queries, keys.transpose(1, 2)) / (2 * sigma**2 * queries.shape[-1] ** 0.5)


def unscaled(queries, keys, sigma):
    return torch.bmm(queries, keys.transpose(1, 2))


def standardised(queries, keys, sigma):
    """Divides by the scores' own measured spread: a divisor from the data, not from sigma, d."""
    scores = torch.bmm(queries, keys.transpose(1, 2))
    return scores / scores.std()


def scaled_by_measured_sigma(queries, keys, sigma):
    """sigma estimated from the tensors: a divisor that changes with the draw."""
    scores = torch.bmm(queries, keys.transpose(1, 2))
    return scores / (queries.std() * keys.std() * queries.shape[-1] ** 0.5)


def scaled_by_number_of_keys(queries, keys, sigma):
    """sqrt(keys) for sqrt(d): a divisor that is no function of sigma and d."""
    return torch.bmm(queries, keys.transpose(1, 2)) / (sigma**2 * keys.shape[1] ** 0.5)


def scaled_by_two_sigma_sqrt_d(queries, keys, sigma):
    """2 sigma sqrt(d): right on sigma = 2 only, where 2 sigma = sigma^2; wrong on sigma = 1."""
    return torch.bmm(queries, keys.transpose(1, 2)) / (2 * sigma * queries.shape[-1] ** 0.5)


def scaled_keys_first(queries, keys, sigma):
    return scaled_by_variance(queries, keys, sigma).transpose(1, 2)


ANSWERS = [
    Answer(check_my_bilinear_scores, bilinear_by_einsum, "pass"),
    Answer(check_my_bilinear_scores, bilinear_transposed_W, "transposed", "W^T"),
    Answer(check_my_bilinear_scores, bilinear_keys_first, "axes", "axes swapped"),
    Answer(check_my_bilinear_scores, bilinear_extra_axis, "shape", "an extra axis of size 1"),
    Answer(check_my_bilinear_scores, bilinear_without_transpose, "raised", "no transpose"),
    Answer(check_my_bilinear_scores, bilinear_doubled, "values", "twice the scores"),
    Answer(check_my_gaussian_scores, gaussian_by_expansion, "pass"),
    Answer(check_my_gaussian_scores, gaussian_by_cdist, "pass"),
    Answer(check_my_gaussian_scores, gaussian_by_differences, "differences", "a 4-D tensor"),
    Answer(
        check_my_gaussian_scores,
        gaussian_by_differences_per_sequence,
        "differences",
        "a 3-D tensor per sequence",
    ),
    Answer(check_my_gaussian_scores, gaussian_without_query_term, "row_constant", "no |q|^2"),
    Answer(check_my_gaussian_scores, gaussian_distance, "sign", "a distance"),
    Answer(check_my_gaussian_scores, gaussian_without_the_two, "scale", "sigma^2, not 2 sigma^2"),
    Answer(check_my_gaussian_scores, gaussian_by_two_sigma, "sigma", "2 sigma, not 2 sigma^2"),
    Answer(check_my_gaussian_scores, gaussian_times_sigma_squared, "sigma", "times sigma^2"),
    Answer(check_my_gaussian_scores, gaussian_keys_first, "axes", "axes swapped"),
    Answer(check_my_scaled_scores, scaled_by_variance, "pass"),
    Answer(check_my_scaled_scores, scaled_sqrt_d_only, "sigma", "assumes sigma = 1"),
    Answer(check_my_scaled_scores, scaled_sigma_sqrt_d, "sigma", "sigma, not sigma^2"),
    Answer(check_my_scaled_scores, scaled_by_two_sigma_sqrt_d, "sigma_and_scale", "2 sigma"),
    Answer(check_my_scaled_scores, scaled_by_d, "dimension", "d, not sqrt(d)"),
    Answer(check_my_scaled_scores, scaled_by_d_only, "sigma_and_dimension", "d, without sigma"),
    Answer(check_my_scaled_scores, scaled_twice_too_much, "scale", "twice the divisor"),
    Answer(check_my_scaled_scores, unscaled, "sigma_and_dimension", "no scale at all"),
    Answer(check_my_scaled_scores, standardised, "standardised", "divided by scores.std()"),
    Answer(check_my_scaled_scores, scaled_by_measured_sigma, "not_sigma_d", "sigma measured"),
    Answer(check_my_scaled_scores, scaled_by_number_of_keys, "not_sigma_d", "sqrt(keys)"),
    Answer(check_my_scaled_scores, scaled_keys_first, "axes", "axes swapped"),
]

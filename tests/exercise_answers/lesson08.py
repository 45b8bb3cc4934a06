"""Right and wrong answers to lesson 08's exercises (shift by rotation, offset similarity,
scores that attend an offset away)."""

from __future__ import annotations

import math

import torch

from attn_course.checks.lesson08 import (
    check_my_offset_scores,
    check_my_offset_similarity,
    check_my_shift_encoding,
)
from attn_course.positional import rotation, sinusoidal_encoding
from exercise_answers import Answer


def _rotated(encodings, delta, exponent_scale=2, sign=1):
    num_hiddens = encodings.shape[-1]
    j = torch.arange(num_hiddens // 2, dtype=torch.float64)
    omegas = 1 / 10000 ** (exponent_scale * j / num_hiddens)  # (d/2,)
    c, s = torch.cos(delta * omegas), sign * torch.sin(delta * omegas)
    sines, cosines = encodings[:, 0::2].double(), encodings[:, 1::2].double()
    out = torch.empty(encodings.shape, dtype=torch.float64)
    out[:, 0::2] = c * sines + s * cosines
    out[:, 1::2] = -s * sines + c * cosines
    return out.to(encodings.dtype)


def shift(encodings, delta):
    return _rotated(encodings, delta)


def shift_in_float64(encodings, delta):
    return _rotated(encodings.double(), delta)  # right values, float64 out


def unchanged(encodings, delta):
    return encodings.clone()


def wrong_way(encodings, delta):
    return _rotated(encodings, delta, sign=-1)


def frequency_without_the_two(encodings, delta):
    return _rotated(encodings, delta, exponent_scale=1)


def in_place(encodings, delta):
    encodings[:] = _rotated(encodings, delta)
    return encodings


def transposed(encodings, delta):
    return _rotated(encodings, delta).T


def sine_and_cosine_swapped(encodings, delta):
    return _rotated(encodings.flip(-1), delta).flip(-1)


def similarity(delta, num_hiddens):
    return sum(math.cos(delta / 10000 ** (2 * j / num_hiddens)) for j in range(num_hiddens // 2))


def every_column_a_pair(delta, num_hiddens):
    return sum(math.cos(delta / 10000 ** (2 * j / num_hiddens)) for j in range(num_hiddens))


def sum_of_sines(delta, num_hiddens):
    return sum(math.sin(delta / 10000 ** (2 * j / num_hiddens)) for j in range(num_hiddens // 2))


def similarity_frequency_without_the_two(delta, num_hiddens):
    return sum(math.cos(delta / 10000 ** (j / num_hiddens)) for j in range(num_hiddens // 2))


def read_off_the_table(delta, num_hiddens):
    table = sinusoidal_encoding(abs(delta) + 1, num_hiddens).double()
    return float(table[0] @ table[delta])  # a negative delta indexes from the end


def a_tensor(delta, num_hiddens):
    return torch.tensor(similarity(delta, num_hiddens))


def _blocks(delta, num_hiddens, transpose=True, exponent_scale=2):
    omegas = [1 / 10000 ** (exponent_scale * j / num_hiddens) for j in range(num_hiddens // 2)]
    blocks = [rotation(delta, omega) for omega in omegas]
    return torch.block_diag(*[b.T if transpose else b for b in blocks])  # (d, d)


def offset_scores(delta, num_hiddens):
    return _blocks(delta, num_hiddens)


def offset_scores_scaled_in_float64(delta, num_hiddens):
    return 5 * _blocks(delta, num_hiddens).double()


def rotation_not_transposed(delta, num_hiddens):
    return _blocks(delta, num_hiddens, transpose=False)


def rotation_by_minus_delta(delta, num_hiddens):
    return _blocks(-delta, num_hiddens)


def identity(delta, num_hiddens):
    return torch.eye(num_hiddens)


def scores_frequency_without_the_two(delta, num_hiddens):
    return _blocks(delta, num_hiddens, exponent_scale=1)


def halves_as_pairs(delta, num_hiddens):
    half = num_hiddens // 2  # pairs (j, j + d/2), the layout of some rotary code
    order = [k for j in range(half) for k in (j, j + half)]
    scores = torch.empty(num_hiddens, num_hiddens)
    scores[torch.tensor(order)[:, None], torch.tensor(order)] = _blocks(delta, num_hiddens)
    return scores


def only_the_fastest_pair(delta, num_hiddens):
    scores = torch.zeros(num_hiddens, num_hiddens)
    scores[:2, :2] = rotation(delta, 1.0).T
    return scores


def one_block_per_pair_only(delta, num_hiddens):
    return _blocks(delta, num_hiddens)[: num_hiddens // 2, : num_hiddens // 2]


def integer_matrix(delta, num_hiddens):
    return torch.eye(num_hiddens, dtype=torch.long)


ANSWERS = [
    Answer(check_my_shift_encoding, shift, "pass"),
    Answer(check_my_shift_encoding, shift_in_float64, "dtype", "right rotation, float64 out"),
    Answer(check_my_shift_encoding, unchanged, "unshifted", "returns the rows as they are"),
    Answer(check_my_shift_encoding, wrong_way, "direction", "rotates by -delta"),
    Answer(check_my_shift_encoding, frequency_without_the_two, "frequency", "10000**(j/d)"),
    Answer(check_my_shift_encoding, in_place, "mutated", "writes into its argument"),
    Answer(check_my_shift_encoding, transposed, "shape", "(d, steps)"),
    Answer(check_my_shift_encoding, sine_and_cosine_swapped, "values", "pairs the wrong columns"),
    Answer(check_my_offset_similarity, similarity, "pass"),
    Answer(check_my_offset_similarity, every_column_a_pair, "at_zero", "d terms instead of d/2"),
    Answer(check_my_offset_similarity, sum_of_sines, "at_zero", "sines, not cosines"),
    Answer(check_my_offset_similarity, similarity_frequency_without_the_two, "offset", "j/d"),
    Answer(check_my_offset_similarity, read_off_the_table, "negative", "table[-7]"),
    Answer(check_my_offset_similarity, a_tensor, "type", "a tensor, not a float"),
    Answer(check_my_offset_scores, offset_scores, "pass"),
    Answer(check_my_offset_scores, offset_scores_scaled_in_float64, "pass", "any positive scale"),
    Answer(check_my_offset_scores, rotation_not_transposed, "direction", "M, not M.T"),
    Answer(check_my_offset_scores, rotation_by_minus_delta, "direction", "rotation(-delta).T"),
    Answer(check_my_offset_scores, identity, "no_shift", "B = I"),
    Answer(check_my_offset_scores, scores_frequency_without_the_two, "keys", "10000**(j/d)"),
    Answer(check_my_offset_scores, halves_as_pairs, "keys", "pairs (j, j + d/2)"),
    Answer(check_my_offset_scores, only_the_fastest_pair, "pass", "cos(n) < 1 for integers n != 0"),
    Answer(check_my_offset_scores, one_block_per_pair_only, "shape", "(d/2, d/2)"),
    Answer(check_my_offset_scores, integer_matrix, "dtype", "an integer matrix"),
]

"""Right and wrong answers to lesson 07's exercises (multiply-adds, dilated convolutions)."""

from __future__ import annotations

import math

import numpy as np

from attn_course.checks.lesson07 import check_my_dilated_layers_needed, check_my_multiply_adds
from exercise_answers import Answer


def multiply_adds(n, d, k):
    return k * n * d * d, 6 * n * d * d, 3 * n * d * d + 2 * n * n * d


def multiply_adds_as_list(n, d, k):
    return list(multiply_adds(n, d, k))


def multiply_adds_numpy(n, d, k):
    return tuple(np.int64(count) for count in multiply_adds(n, d, k))


def conv_real_inputs_only(n, d, k):
    r = (k - 1) // 2
    taps = sum(min(i + r, n - 1) - max(i - r, 0) + 1 for i in range(n))
    return taps * d * d, 6 * n * d * d, 3 * n * d * d + 2 * n * n * d


def flops_not_multiply_adds(n, d, k):
    return tuple(2 * count for count in multiply_adds(n, d, k))


def attention_with_output_projection(n, d, k):
    return k * n * d * d, 6 * n * d * d, 4 * n * d * d + 2 * n * n * d


def attention_with_softmax(n, d, k):
    return k * n * d * d, 6 * n * d * d, 3 * n * d * d + 2 * n * n * d + n * n  # + the softmax


def gru_one_matrix_per_gate(n, d, k):
    return k * n * d * d, 3 * n * d * d, 3 * n * d * d + 2 * n * n * d


def attention_without_projections(n, d, k):
    return k * n * d * d, 6 * n * d * d, 2 * n * n * d


def attention_one_product_between_positions(n, d, k):
    return k * n * d * d, 6 * n * d * d, 3 * n * d * d + n * n * d  # Q K^T only, not weights @ V


def attention_without_two_projections(n, d, k):
    return k * n * d * d, 6 * n * d * d, n * d * d + 2 * n * n * d  # n * n * d at n = 2d


def conv_without_kernel(n, d, k):
    return n * d * d, 6 * n * d * d, 3 * n * d * d + 2 * n * n * d


def multiply_adds_as_floats(n, d, k):
    return tuple(float(count) for count in multiply_adds(n, d, k))


def total_only(n, d, k):
    return sum(multiply_adds(n, d, k))


def two_layers_only(n, d, k):
    return multiply_adds(n, d, k)[1:]


def dilated(n, k):
    r, layers = (k - 1) // 2, 0
    while r * (2**layers - 1) < n - 1:
        layers += 1
    return layers


def dilated_closed_form(n, k):
    return math.ceil(math.log2((n - 1) / ((k - 1) // 2) + 1))


def dilated_numpy(n, k):
    return np.int64(dilated(n, k))


def reach_both_sides(n, k):
    layers, reach = 0, 0
    while reach < n - 1:
        reach += (k - 1) * 2**layers  # k - 1 taps besides the centre, not the r on one side
        layers += 1
    return layers


def first_dilation_two(n, k):
    r, layers, reach = (k - 1) // 2, 0, 0
    while reach < n - 1:
        reach += r * 2 ** (layers + 1)  # dilations 2, 4, 8, ...: the first layer's is 2
        layers += 1
    return layers


def plain_convolutions(n, k):
    return math.ceil((n - 1) / ((k - 1) // 2))


def one_layer_too_many(n, k):
    r, layers, reach = (k - 1) // 2, 0, 0
    while reach <= n - 1:  # goes on once the reach is exactly n - 1
        reach += r * 2**layers
        layers += 1
    return layers


def floor_instead_of_ceiling(n, k):
    return math.floor(math.log2((n - 1) / ((k - 1) // 2) + 1))


def integer_division(n, k):
    return ((n - 1) // ((k - 1) // 2)).bit_length()  # smallest L with 2**L > (n - 1) // r


def one_plus_floor_log(n, k):
    return 1 + math.floor(math.log2((n - 1) / ((k - 1) // 2))) if n > 1 else 0


def reach_without_minus_one(n, k):
    return math.ceil(math.log2((n - 1) / ((k - 1) // 2))) if n > 1 else 0  # r 2^L, not r(2^L - 1)


def reach_without_minus_one_loop(n, k):
    r, layers = (k - 1) // 2, 0
    while r * 2**layers < n - 1:  # as if L layers together reached r * 2**L
        layers += 1
    return layers


def one_short_when_long(n, k):
    return dilated(n, k) - 1 if n > 150 else dilated(n, k)


def papers_log_k(n, k):
    return math.ceil(math.log(n, k)) if n > 1 else 0  # the paper's O(log_k n) taken as a count


def dilations_grow_k_fold(n, k):
    r, layers, reach = (k - 1) // 2, 0, 0
    while reach < n - 1:
        reach += r * k**layers  # dilations 1, k, k^2, ... instead of 1, 2, 4, ...
        layers += 1
    return layers


def reach_ignored(n, k):
    return math.ceil(math.log2(n)) if n > 1 else 0  # as if every kernel reached 1 position


def reach_ignored_loop(n, k):
    layers, reach = 0, 0
    while reach < n - 1:
        reach += 2**layers  # forgot (k - 1) / 2
        layers += 1
    return layers


def log_without_ceiling(n, k):
    return math.log2((n - 1) / ((k - 1) // 2) + 1)


def log_of_zero(n, k):
    return math.ceil(math.log2((n - 1) / ((k - 1) // 2)))


ANSWERS = [
    Answer(check_my_multiply_adds, multiply_adds, "pass"),
    Answer(check_my_multiply_adds, multiply_adds_as_list, "pass", "a list is accepted"),
    Answer(check_my_multiply_adds, multiply_adds_numpy, "pass", "numpy integers are accepted"),
    Answer(check_my_multiply_adds, conv_real_inputs_only, "padding", "skips the padded taps"),
    Answer(check_my_multiply_adds, flops_not_multiply_adds, "flops", "two FLOPs a multiply-add"),
    Answer(
        check_my_multiply_adds, attention_with_output_projection, "output_projection", "counts W_o"
    ),
    Answer(check_my_multiply_adds, attention_with_softmax, "attention_extra", "counts the softmax"),
    Answer(check_my_multiply_adds, gru_one_matrix_per_gate, "gru", "forgot the hidden matrices"),
    Answer(check_my_multiply_adds, attention_without_projections, "attention", "no W_q, W_k, W_v"),
    Answer(
        check_my_multiply_adds,
        attention_one_product_between_positions,
        "attention_product",
        "Q K^T but not the weights times V",
    ),
    Answer(
        check_my_multiply_adds,
        attention_without_two_projections,
        "attention",
        "two projections left out: one n^2 d product short only at n = 2d",
    ),
    Answer(check_my_multiply_adds, conv_without_kernel, "conv", "one matrix per position"),
    Answer(check_my_multiply_adds, multiply_adds_as_floats, "type", "floats, not ints"),
    Answer(check_my_multiply_adds, total_only, "type", "one number instead of three"),
    Answer(check_my_multiply_adds, two_layers_only, "shape", "two entries"),
    Answer(check_my_dilated_layers_needed, dilated, "pass"),
    Answer(check_my_dilated_layers_needed, dilated_closed_form, "pass", "the closed form"),
    Answer(check_my_dilated_layers_needed, dilated_numpy, "pass", "a numpy integer"),
    Answer(check_my_dilated_layers_needed, reach_both_sides, "double_reach", "k - 1 per layer"),
    Answer(check_my_dilated_layers_needed, first_dilation_two, "double_reach", "dilations 2, 4"),
    Answer(check_my_dilated_layers_needed, plain_convolutions, "linear", "no dilation"),
    Answer(check_my_dilated_layers_needed, one_layer_too_many, "off_by_one", "<= for <"),
    Answer(check_my_dilated_layers_needed, floor_instead_of_ceiling, "rounded_down", "floor"),
    Answer(check_my_dilated_layers_needed, integer_division, "rounded_down", "(n - 1) // r"),
    Answer(check_my_dilated_layers_needed, one_plus_floor_log, "rounded_down", "1 + floor"),
    Answer(check_my_dilated_layers_needed, reach_without_minus_one, "sum", "r 2^L"),
    Answer(check_my_dilated_layers_needed, reach_without_minus_one_loop, "sum", "r 2^L, a loop"),
    Answer(check_my_dilated_layers_needed, one_short_when_long, "too_few", "unknown, too few"),
    Answer(check_my_dilated_layers_needed, papers_log_k, "log_k", "ceil(log_k n)"),
    Answer(check_my_dilated_layers_needed, dilations_grow_k_fold, "log_k", "dilations k-fold"),
    Answer(check_my_dilated_layers_needed, reach_ignored, "reach", "ceil(log2 n)"),
    Answer(check_my_dilated_layers_needed, reach_ignored_loop, "reach", "reach 1 per layer"),
    Answer(check_my_dilated_layers_needed, log_without_ceiling, "type", "a float"),
    Answer(check_my_dilated_layers_needed, log_of_zero, "raised", "log2(0) for n = 1"),
]

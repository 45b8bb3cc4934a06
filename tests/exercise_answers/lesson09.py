"""Right and wrong answers to lesson 09's exercises (causal lengths, Vaswani et al.'s
rate, pre-norm block)."""

from __future__ import annotations

import math

import torch

from attn_course.checks.lesson09 import (
    check_my_causal_valid_lens,
    check_my_pre_norm_block,
    check_my_vaswani_rate,
)
from exercise_answers import Answer

# ---------------------------------------------------------------- causal lengths


def causal_lens(batch_size, num_steps):
    return torch.arange(1, num_steps + 1).repeat(batch_size, 1)


def causal_lens_by_expand(batch_size, num_steps):
    return torch.arange(num_steps).add(1).expand(batch_size, -1).clone()


def last_key_index(batch_size, num_steps):
    return torch.arange(num_steps).repeat(batch_size, 1)  # query 0 sees nothing


def one_ahead(batch_size, num_steps):
    return torch.arange(2, num_steps + 2).repeat(batch_size, 1)


def every_key(batch_size, num_steps):
    return torch.full((batch_size, num_steps), num_steps)


def one_row(batch_size, num_steps):
    return torch.arange(1, num_steps + 1)  # (steps,): the batch axis is missing


def float_lens(batch_size, num_steps):
    return torch.arange(1, num_steps + 1).repeat(batch_size, 1).float()


# ---------------------------------------------------------------- Vaswani's rate


def vaswani_rate(step, warmup_steps, num_hiddens):
    return num_hiddens**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


def vaswani_rate_two_branches(step, warmup_steps, num_hiddens):
    if step < warmup_steps:
        return step / (warmup_steps * math.sqrt(warmup_steps * num_hiddens))
    return 1 / math.sqrt(step * num_hiddens)


def rate_without_model_size(step, warmup_steps, num_hiddens):
    return min(step**-0.5, step * warmup_steps**-1.5)


def rate_over_model_size(step, warmup_steps, num_hiddens):
    return num_hiddens**-1 * min(step**-0.5, step * warmup_steps**-1.5)


def model_size_exponent_flipped(step, warmup_steps, num_hiddens):
    return num_hiddens**0.5 * min(step**-0.5, step * warmup_steps**-1.5)  # off by d


def times_a_base_rate(step, warmup_steps, num_hiddens):
    return 1e-3 * num_hiddens**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


def steps_from_zero(step, warmup_steps, num_hiddens):
    step = step + 1  # the rate of the next step
    return num_hiddens**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


def exponents_swapped(step, warmup_steps, num_hiddens):
    # wrong in both phases, and not by one factor
    return num_hiddens**-0.5 * min(step**-1.5, step * warmup_steps**-0.5)


def rate_with_max(step, warmup_steps, num_hiddens):
    return num_hiddens**-0.5 * max(step**-0.5, step * warmup_steps**-1.5)


def warmup_exponent_half(step, warmup_steps, num_hiddens):
    return num_hiddens**-0.5 * min(step**-0.5, step * warmup_steps**-0.5)


def warmup_too_steep(step, warmup_steps, num_hiddens):
    # the min then keeps the decay term during the warm-up: the larger term there
    return num_hiddens**-0.5 * min(step**-0.5, step * warmup_steps**1.5)


def decay_too_slow(step, warmup_steps, num_hiddens):
    # the min then keeps the warm-up term after the warm-up: the larger term there
    return num_hiddens**-0.5 * min(step**-0.25, step * warmup_steps**-1.5)


def decay_as_one_over_step(step, warmup_steps, num_hiddens):
    return num_hiddens**-0.5 * min(warmup_steps**0.5 / step, step * warmup_steps**-1.5)


def rate_as_tensor(step, warmup_steps, num_hiddens):
    step = torch.tensor(float(step))
    return num_hiddens**-0.5 * torch.minimum(step**-0.5, step * warmup_steps**-1.5)


# ---------------------------------------------------------------- pre-norm block


def pre_norm(block, X, valid_lens):
    Z = block.addnorm1.ln(X)
    X = X + block.attention(Z, Z, Z, valid_lens)
    return X + block.ffn(block.addnorm2.ln(X))


def post_norm(block, X, valid_lens):
    X = block.addnorm1.ln(X + block.attention(X, X, X, valid_lens))
    return block.addnorm2.ln(X + block.ffn(X))


def padding_ignored(block, X, valid_lens):
    Z = block.addnorm1.ln(X)
    X = X + block.attention(Z, Z, Z)
    return X + block.ffn(block.addnorm2.ln(X))


def no_residual_around_ffn(block, X, valid_lens):
    Z = block.addnorm1.ln(X)
    X = X + block.attention(Z, Z, Z, valid_lens)
    return block.ffn(block.addnorm2.ln(X))


def ffn_on_stale_input(block, X, valid_lens):
    Z = block.addnorm1.ln(X)
    X = X + block.attention(Z, Z, Z, valid_lens)
    return X + block.ffn(Z)  # the FFN reads LN1 of the block's input


def second_norm_twice(block, X, valid_lens):
    Z = block.addnorm2.ln(X)
    X = X + block.attention(Z, Z, Z, valid_lens)
    return X + block.ffn(block.addnorm2.ln(X))


def first_norm_twice(block, X, valid_lens):
    Z = block.addnorm1.ln(X)
    X = X + block.attention(Z, Z, Z, valid_lens)
    return X + block.ffn(block.addnorm1.ln(X))


def ffn_input_not_normalised(block, X, valid_lens):
    Z = block.addnorm1.ln(X)
    X = X + block.attention(Z, Z, Z, valid_lens)
    return X + block.ffn(X)  # the second norm is missing


def attention_input_not_normalised(block, X, valid_lens):
    X = X + block.attention(X, X, X, valid_lens)  # the first norm is missing
    return X + block.ffn(block.addnorm2.ln(X))


def normalises_the_output(block, X, valid_lens):
    return block.addnorm2.ln(pre_norm(block, X, valid_lens))


def calls_the_block(block, X, valid_lens):
    return block(X, valid_lens)


def calls_the_addnorms(block, X, valid_lens):
    X = block.addnorm1(X, lambda Z: block.attention(Z, Z, Z, valid_lens))
    return block.addnorm2(X, block.ffn)


def calls_forward(block, X, valid_lens):
    return block.forward(X, valid_lens)


def normalises_in_place(block, X, valid_lens):
    X.copy_(block.addnorm1.ln(X))  # writes into the input
    return pre_norm(block, X, valid_lens)


ANSWERS = [
    Answer(check_my_causal_valid_lens, causal_lens, "pass"),
    Answer(check_my_causal_valid_lens, causal_lens_by_expand, "pass"),
    Answer(check_my_causal_valid_lens, last_key_index, "off_by_one", "query 0 sees no key"),
    Answer(check_my_causal_valid_lens, one_ahead, "off_by_one", "one key of the future"),
    Answer(check_my_causal_valid_lens, every_key, "not_causal"),
    Answer(check_my_causal_valid_lens, one_row, "shape"),
    Answer(check_my_causal_valid_lens, float_lens, "dtype"),
    Answer(check_my_vaswani_rate, vaswani_rate, "pass"),
    Answer(check_my_vaswani_rate, vaswani_rate_two_branches, "pass"),
    Answer(check_my_vaswani_rate, rate_without_model_size, "scale", "d^-0.5 missing"),
    Answer(check_my_vaswani_rate, rate_over_model_size, "scale", "d^-1"),
    Answer(check_my_vaswani_rate, model_size_exponent_flipped, "scale", "d^0.5: off by d"),
    Answer(check_my_vaswani_rate, times_a_base_rate, "scale", "a constant factor"),
    Answer(check_my_vaswani_rate, steps_from_zero, "step"),
    Answer(check_my_vaswani_rate, exponents_swapped, "phases"),
    Answer(check_my_vaswani_rate, rate_with_max, "min"),
    Answer(check_my_vaswani_rate, warmup_exponent_half, "warmup"),
    Answer(check_my_vaswani_rate, decay_as_one_over_step, "decay"),
    Answer(check_my_vaswani_rate, warmup_too_steep, "warmup", "min kept, not a max"),
    Answer(check_my_vaswani_rate, decay_too_slow, "decay", "min kept, not a max"),
    Answer(check_my_vaswani_rate, rate_as_tensor, "type", "torch.minimum: a tensor"),
    Answer(check_my_pre_norm_block, pre_norm, "pass"),
    Answer(check_my_pre_norm_block, post_norm, "post_norm"),
    Answer(check_my_pre_norm_block, padding_ignored, "padding"),
    Answer(check_my_pre_norm_block, no_residual_around_ffn, "residual"),
    Answer(check_my_pre_norm_block, ffn_on_stale_input, "ffn_input"),
    Answer(check_my_pre_norm_block, second_norm_twice, "shared_norm"),
    Answer(check_my_pre_norm_block, first_norm_twice, "shared_norm"),
    Answer(check_my_pre_norm_block, ffn_input_not_normalised, "missing_norm", "no LN2"),
    Answer(check_my_pre_norm_block, attention_input_not_normalised, "missing_norm", "no LN1"),
    Answer(check_my_pre_norm_block, normalises_the_output, "extra_norm"),
    Answer(check_my_pre_norm_block, normalises_in_place, "mutated"),
    Answer(check_my_pre_norm_block, calls_the_block, "called_block"),
    Answer(check_my_pre_norm_block, calls_the_addnorms, "called_block", "block.addnorm1"),
    Answer(check_my_pre_norm_block, calls_forward, "called_block", "block.forward"),
]

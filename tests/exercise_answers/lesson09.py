"""Right and wrong answers to lesson 09's exercises (causal lengths, schedule, pre-norm block)."""

from __future__ import annotations

import math

import torch

from attn_course.checks.lesson09 import (
    check_my_causal_valid_lens,
    check_my_pre_norm_block,
    check_my_warmup_cosine_factor,
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


# ---------------------------------------------------------------- the schedule


def schedule(step, warmup_steps, num_steps):
    if step <= warmup_steps:
        return step / warmup_steps
    progress = (step - warmup_steps) / (num_steps - warmup_steps)
    return 0.5 * (1 + math.cos(math.pi * progress))


def schedule_from_remaining(step, warmup_steps, num_steps):
    if step <= warmup_steps:
        return step / warmup_steps
    remaining = (num_steps - step) / (num_steps - warmup_steps)  # 1 -> 0
    return 0.5 * (1 - math.cos(math.pi * remaining))


def warmup_one_step_late(step, warmup_steps, num_steps):
    if step <= warmup_steps:
        return step / (warmup_steps + 1)
    return schedule(step, warmup_steps, num_steps)


def no_warmup(step, warmup_steps, num_steps):
    return 0.5 * (1 + math.cos(math.pi * step / num_steps))


def linear_decay(step, warmup_steps, num_steps):
    if step <= warmup_steps:
        return step / warmup_steps
    return (num_steps - step) / (num_steps - warmup_steps)


def full_cosine_period(step, warmup_steps, num_steps):
    if step <= warmup_steps:
        return step / warmup_steps
    progress = (step - warmup_steps) / (num_steps - warmup_steps)
    return 0.5 * (1 + math.cos(2 * math.pi * progress))  # back up to 1 at the end


def schedule_as_tensor(step, warmup_steps, num_steps):
    if step <= warmup_steps:
        return torch.tensor(step / warmup_steps)
    progress = torch.tensor((step - warmup_steps) / (num_steps - warmup_steps))
    return 0.5 * (1 + torch.cos(torch.pi * progress))  # a 0-d tensor


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
    Answer(check_my_warmup_cosine_factor, schedule, "pass"),
    Answer(check_my_warmup_cosine_factor, schedule_from_remaining, "pass"),
    Answer(check_my_warmup_cosine_factor, warmup_one_step_late, "warmup"),
    Answer(check_my_warmup_cosine_factor, no_warmup, "warmup"),
    Answer(check_my_warmup_cosine_factor, linear_decay, "decay"),
    Answer(check_my_warmup_cosine_factor, full_cosine_period, "decay"),
    Answer(check_my_warmup_cosine_factor, schedule_as_tensor, "type", "torch.cos: a tensor"),
    Answer(check_my_pre_norm_block, pre_norm, "pass"),
    Answer(check_my_pre_norm_block, post_norm, "post_norm"),
    Answer(check_my_pre_norm_block, padding_ignored, "padding"),
    Answer(check_my_pre_norm_block, no_residual_around_ffn, "residual"),
    Answer(check_my_pre_norm_block, ffn_on_stale_input, "ffn_input"),
    Answer(check_my_pre_norm_block, second_norm_twice, "shared_norm"),
    Answer(check_my_pre_norm_block, first_norm_twice, "shared_norm"),
    Answer(check_my_pre_norm_block, normalises_in_place, "mutated"),
]

"""Right and wrong answers to the exercises of lesson 10 (attention at scale)."""

from __future__ import annotations

import torch

from attn_course.checks.lesson10 import (
    check_my_cache_bytes,
    check_my_expand_kv,
    check_my_merge_partials,
)
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


# ------------------------------------------------------------------ expand kv heads


def expand_right(K, num_heads):
    return K.repeat_interleave(num_heads // K.shape[1], dim=1)


def expand_by_indexing(K, num_heads):
    group_size = num_heads // K.shape[1]
    return K[:, torch.arange(num_heads) // group_size]


def expand_tiled(K, num_heads):
    return K.repeat(1, num_heads // K.shape[1], 1, 1)


def expand_wrong_axis(K, num_heads):
    return K.repeat_interleave(num_heads // K.shape[1], dim=2)


def expand_forgotten(K, num_heads):
    return K


def expand_concatenated_features(K, num_heads):
    return K.repeat_interleave(num_heads // K.shape[1], dim=-1)


# ------------------------------------------------------------------ cache bytes


def cache_right(num_layers, num_heads, num_kv_heads, head_size, steps, batch_size,
                bytes_per_number):
    return 2 * num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def cache_by_tensors(num_layers, num_heads, num_kv_heads, head_size, steps, batch_size,
                     bytes_per_number):
    key = torch.empty(batch_size, num_kv_heads, steps, head_size, dtype=torch.uint8,
                      device="meta")
    return 2 * num_layers * key.numel() * bytes_per_number


def cache_keys_only(num_layers, num_heads, num_kv_heads, head_size, steps, batch_size,
                    bytes_per_number):
    return num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def cache_query_heads(num_layers, num_heads, num_kv_heads, head_size, steps, batch_size,
                      bytes_per_number):
    return 2 * num_layers * batch_size * num_heads * steps * head_size * bytes_per_number


def cache_float(num_layers, num_heads, num_kv_heads, head_size, steps, batch_size,
                bytes_per_number):
    return 2.0 * num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def cache_one_layer(num_layers, num_heads, num_kv_heads, head_size, steps, batch_size,
                    bytes_per_number):
    return 2 * batch_size * num_kv_heads * steps * head_size * bytes_per_number


ANSWERS = [
    Answer(check_my_merge_partials, merge_right, "pass"),
    Answer(check_my_merge_partials, merge_by_where, "pass", "masked blocks weighted by 0"),
    Answer(check_my_merge_partials, merge_without_rescale, "rescale", "sums added as they are"),
    Answer(check_my_merge_partials, merge_nan_on_masked, "nan", "-inf - (-inf) on masked rows"),
    Answer(check_my_merge_partials, merge_keeps_first_max, "max", "the first block's maximum"),
    Answer(check_my_merge_partials, merge_normalised, "normalised", "divides by the sum early"),
    Answer(check_my_merge_partials, merge_squeezed, "shape", "drops the trailing axis"),
    Answer(check_my_merge_partials, merge_in_place, "mutated", "writes into out_a"),
    Answer(check_my_expand_kv, expand_right, "pass"),
    Answer(check_my_expand_kv, expand_by_indexing, "pass", "gathers head h // g"),
    Answer(check_my_expand_kv, expand_tiled, "layout", "heads 0, 1, 0, 1 instead of 0, 0, 1, 1"),
    Answer(check_my_expand_kv, expand_wrong_axis, "shape", "repeats the steps"),
    Answer(check_my_expand_kv, expand_forgotten, "shape", "returns K unchanged"),
    Answer(check_my_expand_kv, expand_concatenated_features, "shape", "repeats the features"),
    Answer(check_my_cache_bytes, cache_right, "pass"),
    Answer(check_my_cache_bytes, cache_by_tensors, "pass", "counts a meta tensor's entries"),
    Answer(check_my_cache_bytes, cache_keys_only, "keys_and_values", "forgets the values"),
    Answer(check_my_cache_bytes, cache_query_heads, "heads", "counts the query heads"),
    Answer(check_my_cache_bytes, cache_float, "type", "returns a float"),
    Answer(check_my_cache_bytes, cache_one_layer, "values", "one layer only"),
]

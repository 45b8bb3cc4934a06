"""Right and wrong answers to the exercises of lesson 11 (inference at scale)."""

from __future__ import annotations

import torch

from attn_course.checks.lesson11 import check_my_cache_bytes, check_my_expand_kv
from exercise_answers import Answer

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


def expand_by_num_heads(K, num_heads):
    return K.repeat_interleave(num_heads, dim=1)


def expand_concatenated_features(K, num_heads):
    return K.repeat_interleave(num_heads // K.shape[1], dim=-1)


# ------------------------------------------------------------------ cache bytes


def cache_right(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    return 2 * num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def cache_by_tensors(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    key = torch.empty(batch_size, num_kv_heads, steps, head_size, dtype=torch.uint8, device="meta")
    return 2 * num_layers * key.numel() * bytes_per_number


def cache_keys_only(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    return num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def cache_query_heads(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    return 2 * num_layers * batch_size * num_heads * steps * head_size * bytes_per_number


def cache_float(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    return 2.0 * num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def cache_one_layer(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    return 2 * batch_size * num_kv_heads * steps * head_size * bytes_per_number


def cache_no_bytes_per_number(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    return 2 * num_layers * batch_size * num_kv_heads * steps * head_size


def cache_bits(num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number):
    return 2 * num_layers * batch_size * num_kv_heads * steps * head_size * bytes_per_number * 8


def cache_added_layers(
    num_layers, num_heads, num_kv_heads, head_size, steps, batch_size, bytes_per_number
):
    per_layer = 2 * batch_size * num_kv_heads * steps * head_size * bytes_per_number
    return per_layer + num_layers


ANSWERS = [
    Answer(check_my_expand_kv, expand_right, "pass"),
    Answer(check_my_expand_kv, expand_by_indexing, "pass", "gathers head h // g"),
    Answer(check_my_expand_kv, expand_tiled, "layout", "heads 0, 1, 0, 1 instead of 0, 0, 1, 1"),
    Answer(check_my_expand_kv, expand_wrong_axis, "shape", "repeats the steps"),
    Answer(check_my_expand_kv, expand_forgotten, "shape", "returns K unchanged"),
    Answer(check_my_expand_kv, expand_concatenated_features, "shape", "repeats the features"),
    Answer(check_my_expand_kv, expand_by_num_heads, "group_size", "copies each head h times"),
    Answer(check_my_cache_bytes, cache_right, "pass"),
    Answer(check_my_cache_bytes, cache_by_tensors, "pass", "counts a meta tensor's entries"),
    Answer(check_my_cache_bytes, cache_keys_only, "keys_and_values", "forgets the values"),
    Answer(check_my_cache_bytes, cache_query_heads, "heads", "counts the query heads"),
    Answer(check_my_cache_bytes, cache_float, "type", "returns a float"),
    Answer(check_my_cache_bytes, cache_one_layer, "factor", "one layer only"),
    Answer(check_my_cache_bytes, cache_no_bytes_per_number, "factor", "counts numbers, not bytes"),
    Answer(check_my_cache_bytes, cache_bits, "factor", "counts bits"),
    Answer(check_my_cache_bytes, cache_added_layers, "values", "adds the layers"),
]

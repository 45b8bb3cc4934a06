"""Right and wrong answers to lesson 06's exercises (interleaved heads, two heads by hand,
heads one at a time)."""

from __future__ import annotations

import math

import torch

from attn_course.checks.lesson06 import (
    check_my_interleaved_transpose_qkv,
    check_my_multihead_loop,
    check_my_neighbour_heads,
)
from attn_course.masking import masked_softmax
from attn_course.multihead import transpose_qkv
from exercise_answers import Answer

# ---------------------------------------------------------------- interleaved heads


def interleaved(X, num_heads):
    batch_size, steps, num_hiddens = X.shape
    X = X.reshape(batch_size, steps, num_hiddens // num_heads, num_heads)  # (b, s, p, heads)
    return X.permute(0, 3, 1, 2).reshape(batch_size * num_heads, steps, -1)


def interleaved_by_unflatten(X, num_heads):
    return X.unflatten(-1, (-1, num_heads)).movedim(-1, 1).flatten(0, 1)


def blocks_of_features(X, num_heads):
    return transpose_qkv(X, num_heads)  # the lesson's convention, not the exercise's


def heads_before_sequences(X, num_heads):
    batch_size, steps, num_hiddens = X.shape
    X = X.reshape(batch_size, steps, num_hiddens // num_heads, num_heads)
    return X.permute(3, 0, 1, 2).reshape(
        num_heads * batch_size, steps, -1
    )  # row i*batch + b for head i


def one_reshape(X, num_heads):
    return X.reshape(X.shape[0] * num_heads, X.shape[1], -1)  # mixes steps and heads


def interleaved_one_reshape(X, num_heads):
    batch_size, steps, num_hiddens = X.shape
    X = X.reshape(batch_size, steps, num_hiddens // num_heads, num_heads).transpose(2, 3)
    return X.reshape(batch_size * num_heads, steps, -1)  # heads right, but steps mixed


def heads_not_merged(X, num_heads):
    batch_size, steps, num_hiddens = X.shape
    return X.reshape(batch_size, steps, -1, num_heads).permute(0, 3, 1, 2)  # 4-D


def regroups_X_in_place(X, num_heads):
    batch_size, steps, num_hiddens = X.shape
    regrouped = X.reshape(batch_size, steps, -1, num_heads).transpose(-1, -2)
    X.copy_(regrouped.reshape(batch_size, steps, num_hiddens))  # writes into the input
    return transpose_qkv(X, num_heads)


# ---------------------------------------------------------------- two heads by hand


def circle_heads(
    num_words,
    num_steps,
    head_size,
    offsets=(1, -1),
    gap=8.0,
    scale=None,
    wrap=False,
    turn=math.pi,
    flip=False,
    edges=(True, True),
):
    """Head h: keys on a circle in its first two features, query i pointing at the key at
    i + offsets[h] (clamped, or wrapped), with a score lead of at least `gap` after the
    division by sqrt(head_size); `edges[h]` False leaves head h's edge query at zero."""
    angles = torch.arange(num_steps) * turn / num_steps
    points = torch.stack([angles.cos(), angles.sin()])  # (2, num_steps)
    nearest = 1 - math.cos(turn / num_steps)  # the smallest lead of a target over a key
    length = gap * math.sqrt(head_size) / nearest if scale is None else scale
    W_q = torch.zeros(2 * head_size, num_words + num_steps)
    W_k = torch.zeros(2 * head_size, num_words + num_steps)
    for head, offset in enumerate(offsets):
        rows = (
            [head * head_size + 1, head * head_size]
            if flip
            else [head * head_size, head * head_size + 1]
        )
        for i in range(num_steps):
            target = (i + offset) % num_steps if wrap else min(max(i + offset, 0), num_steps - 1)
            W_k[rows, num_words + i] = points[:, i]
            if target != i + offset and not edges[head]:
                continue  # the edge query forgotten: no query vector
            W_q[rows, num_words + i] = length * points[:, target]
    return W_q, W_k


def neighbour_heads_on_a_full_circle(num_words, num_steps, head_size):
    # Another right design: the whole circle, the two features in the other order.
    return circle_heads(num_words, num_steps, head_size, gap=10.0, turn=2 * math.pi, flip=True)


def one_feature_per_position(num_words, num_steps, head_size):
    # The lesson's construction: right only when head_size >= num_steps.
    sharpness = 8 * math.sqrt(head_size)
    W_q = torch.zeros(2 * head_size, num_words + num_steps)
    W_k = torch.zeros(2 * head_size, num_words + num_steps)
    for head, offset in enumerate((1, -1)):
        for i in range(num_steps):
            target = min(max(i + offset, 0), num_steps - 1)
            W_q[head * head_size + target, num_words + i] = sharpness  # IndexError if p < n
            W_k[head * head_size + i, num_words + i] = 1.0
    return W_q, W_k


def one_feature_per_position_wrapped(num_words, num_steps, head_size):
    # The lesson's construction, rows taken modulo head_size so that nothing raises.
    sharpness = 8 * math.sqrt(head_size)
    W_q = torch.zeros(2 * head_size, num_words + num_steps)
    W_k = torch.zeros(2 * head_size, num_words + num_steps)
    for head, offset in enumerate((1, -1)):
        for i in range(num_steps):
            target = min(max(i + offset, 0), num_steps - 1)
            W_q[head * head_size + target % head_size, num_words + i] = sharpness
            W_k[head * head_size + i % head_size, num_words + i] = 1.0
    return W_q, W_k


def neighbour_heads_swapped(num_words, num_steps, head_size):
    return circle_heads(num_words, num_steps, head_size, offsets=(-1, 1))


def neighbour_heads_without_sqrt(num_words, num_steps, head_size):
    nearest = 1 - math.cos(math.pi / num_steps)
    return circle_heads(num_words, num_steps, head_size, scale=8.0 / nearest)  # lead 8/sqrt(p)


def neighbour_heads_gap_one(num_words, num_steps, head_size):
    return circle_heads(num_words, num_steps, head_size, gap=1.0)


def neighbour_heads_wrapping(num_words, num_steps, head_size):
    return circle_heads(num_words, num_steps, head_size, wrap=True)  # last -> first


def neighbour_heads_forgets_head_1_edge(num_words, num_steps, head_size):
    return circle_heads(num_words, num_steps, head_size, edges=(True, False))  # a flat row


def neighbour_heads_forgets_head_0_edge(num_words, num_steps, head_size):
    return circle_heads(num_words, num_steps, head_size, edges=(False, True))


def neighbour_heads_head_0_reads_words(num_words, num_steps, head_size):
    W_q, W_k = circle_heads(num_words, num_steps, head_size)
    W_q[:head_size], W_k[:head_size] = 0.0, 0.0
    for word in range(min(num_words, head_size)):  # the lesson's word head, in head 0
        W_q[word, word] = 8 * math.sqrt(head_size)
        W_k[word, word] = 1.0
    return W_q, W_k


def neighbour_heads_transposed(num_words, num_steps, head_size):
    W_q, W_k = circle_heads(num_words, num_steps, head_size)
    return W_q.T, W_k.T  # (in_features, out_features): not how nn.Linear stores them


def neighbour_heads_zero(num_words, num_steps, head_size):
    return (
        torch.zeros(2 * head_size, num_words + num_steps),
        torch.zeros(2 * head_size, num_words + num_steps),
    )


def neighbour_heads_same_position(num_words, num_steps, head_size):
    return circle_heads(num_words, num_steps, head_size, offsets=(1, 0))  # head 1: itself


# ---------------------------------------------------------------- heads one at a time


def loop(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None):
    head_size = W_o.shape[0] // num_heads
    heads = []
    for h in range(num_heads):
        rows = slice(h * head_size, (h + 1) * head_size)
        Q, K, V = queries @ W_q[rows].T, keys @ W_k[rows].T, values @ W_v[rows].T
        scores = Q @ K.transpose(1, 2) / math.sqrt(head_size)  # (batch, queries, keys)
        heads.append(masked_softmax(scores, valid_lens) @ V)  # (batch, queries, head_size)
    return torch.cat(heads, dim=-1) @ W_o.T


def head_size_from_queries(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None):
    head_size = queries.shape[-1] // num_heads  # query_size / h, not num_hiddens / h
    heads = []
    for h in range(num_heads):
        rows = slice(h * head_size, (h + 1) * head_size)
        Q, K, V = queries @ W_q[rows].T, keys @ W_k[rows].T, values @ W_v[rows].T
        scores = Q @ K.transpose(1, 2) / math.sqrt(head_size)
        heads.append(masked_softmax(scores, valid_lens) @ V)
    return torch.cat(heads, dim=-1) @ W_o.T


def head_size_from_W_q_columns(
    queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None
):
    # W_q is (out_features, in_features): its columns count query_size, not num_hiddens.
    head_size = W_q.shape[1] // num_heads
    heads = []
    for h in range(num_heads):
        rows = slice(h * head_size, (h + 1) * head_size)
        Q, K, V = queries @ W_q[rows].T, keys @ W_k[rows].T, values @ W_v[rows].T
        scores = Q @ K.transpose(1, 2) / math.sqrt(head_size)
        heads.append(masked_softmax(scores, valid_lens) @ V)
    return torch.cat(heads, dim=-1) @ W_o.T


def scaled_by_num_hiddens(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None):
    # Dividing by sqrt(num_hiddens) is the same as shrinking W_q by num_heads ** -0.5.
    return loop(queries, keys, values, W_q * num_heads**-0.5, W_k, W_v, W_o, num_heads, valid_lens)


def not_scaled(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None):
    # No division: the same as growing W_q by sqrt(head_size).
    head_size = W_o.shape[0] // num_heads
    return loop(queries, keys, values, W_q * head_size**0.5, W_k, W_v, W_o, num_heads, valid_lens)


def scaled_by_head_size(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None):
    # Dividing by p instead of sqrt(p): W_q shrunk by sqrt(head_size).
    head_size = W_o.shape[0] // num_heads
    return loop(queries, keys, values, W_q * head_size**-0.5, W_k, W_v, W_o, num_heads, valid_lens)


def ignores_valid_lens(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None):
    return loop(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, None)


def forgets_W_o(queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None):
    identity = torch.eye(W_o.shape[0])
    return loop(queries, keys, values, W_q, W_k, W_v, identity, num_heads, valid_lens)


def masks_with_minus_infinity(
    queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None
):
    head_size = W_o.shape[0] // num_heads
    heads = []
    for h in range(num_heads):
        rows = slice(h * head_size, (h + 1) * head_size)
        Q, K, V = queries @ W_q[rows].T, keys @ W_k[rows].T, values @ W_v[rows].T
        scores = Q @ K.transpose(1, 2) / math.sqrt(head_size)
        if valid_lens is not None:
            lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None]
            padded = torch.arange(K.shape[1]) >= lens[..., None]  # (batch, queries or 1, keys)
            scores = scores.masked_fill(padded, float("-inf"))  # a row of -inf: NaN
        heads.append(torch.softmax(scores, dim=-1) @ V)
    return torch.cat(heads, dim=-1) @ W_o.T


def masks_with_large_negative(
    queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None
):
    # d2l's way: -1e6 on the padded keys, then a plain softmax (an empty row goes uniform).
    head_size = W_o.shape[0] // num_heads
    heads = []
    for h in range(num_heads):
        rows = slice(h * head_size, (h + 1) * head_size)
        Q, K, V = queries @ W_q[rows].T, keys @ W_k[rows].T, values @ W_v[rows].T
        scores = Q @ K.transpose(1, 2) / math.sqrt(head_size)
        if valid_lens is not None:
            lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None]
            padded = torch.arange(K.shape[1]) >= lens[..., None]  # (batch, queries or 1, keys)
            scores = scores.masked_fill(padded, -1e6)
        heads.append(torch.softmax(scores, dim=-1) @ V)
    return torch.cat(heads, dim=-1) @ W_o.T


def concatenates_along_queries(
    queries, keys, values, W_q, W_k, W_v, W_o, num_heads, valid_lens=None
):
    head_size = W_o.shape[0] // num_heads
    heads = []
    for h in range(num_heads):
        rows = slice(h * head_size, (h + 1) * head_size)
        Q, K, V = queries @ W_q[rows].T, keys @ W_k[rows].T, values @ W_v[rows].T
        scores = Q @ K.transpose(1, 2) / math.sqrt(head_size)
        heads.append(masked_softmax(scores, valid_lens) @ V)
    return torch.cat(heads, dim=1) @ W_o.T  # the queries axis: raises with two heads or more


ANSWERS = [
    Answer(check_my_interleaved_transpose_qkv, interleaved, "pass"),
    Answer(check_my_interleaved_transpose_qkv, interleaved_by_unflatten, "pass"),
    Answer(check_my_interleaved_transpose_qkv, blocks_of_features, "blocks"),
    Answer(check_my_interleaved_transpose_qkv, heads_before_sequences, "rows"),
    Answer(check_my_interleaved_transpose_qkv, one_reshape, "steps"),
    Answer(check_my_interleaved_transpose_qkv, interleaved_one_reshape, "steps"),
    Answer(check_my_interleaved_transpose_qkv, heads_not_merged, "shape"),
    Answer(check_my_interleaved_transpose_qkv, regroups_X_in_place, "mutated"),
    Answer(check_my_neighbour_heads, circle_heads, "pass"),
    Answer(check_my_neighbour_heads, neighbour_heads_on_a_full_circle, "pass"),
    Answer(check_my_neighbour_heads, one_feature_per_position, "features"),
    Answer(check_my_neighbour_heads, one_feature_per_position_wrapped, "features"),
    Answer(check_my_neighbour_heads, neighbour_heads_swapped, "swapped"),
    Answer(check_my_neighbour_heads, neighbour_heads_without_sqrt, "flat"),
    Answer(check_my_neighbour_heads, neighbour_heads_gap_one, "flat"),
    Answer(check_my_neighbour_heads, neighbour_heads_wrapping, "edge"),
    Answer(check_my_neighbour_heads, neighbour_heads_forgets_head_1_edge, "edge"),
    Answer(check_my_neighbour_heads, neighbour_heads_forgets_head_0_edge, "edge"),
    Answer(check_my_neighbour_heads, neighbour_heads_head_0_reads_words, "words"),
    Answer(check_my_neighbour_heads, neighbour_heads_transposed, "shape"),
    Answer(check_my_neighbour_heads, neighbour_heads_zero, "uniform"),
    Answer(check_my_neighbour_heads, neighbour_heads_same_position, "values"),
    Answer(check_my_multihead_loop, loop, "pass"),
    Answer(check_my_multihead_loop, scaled_by_num_hiddens, "scale"),
    Answer(check_my_multihead_loop, not_scaled, "scale"),
    Answer(check_my_multihead_loop, scaled_by_head_size, "scale"),
    Answer(check_my_multihead_loop, ignores_valid_lens, "mask"),
    Answer(check_my_multihead_loop, forgets_W_o, "projection"),
    Answer(check_my_multihead_loop, head_size_from_queries, "inputs"),
    Answer(check_my_multihead_loop, head_size_from_W_q_columns, "inputs"),
    Answer(check_my_multihead_loop, masks_with_minus_infinity, "nan"),
    Answer(check_my_multihead_loop, masks_with_large_negative, "empty"),
    Answer(check_my_multihead_loop, concatenates_along_queries, "raised"),
]

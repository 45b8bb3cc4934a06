"""Right and wrong answers to the exercises of lesson 11 (inference at scale)."""

from __future__ import annotations

import math

import torch

from attn_course.checks.lesson11 import check_my_grouped_scores, check_my_preallocated_cache
from attn_course.kvcache import KVCache
from exercise_answers import Answer

# ------------------------------------------------------------------ grouped scores


def scores_folded(Q, K):
    batch, num_heads, queries, head_size = Q.shape
    num_kv_heads = K.shape[1]
    Q = Q.reshape(batch, num_kv_heads, -1, head_size)  # (b, kv, g * q, hs): a view
    scores = Q @ K.transpose(-1, -2) / math.sqrt(head_size)  # (b, kv, g * q, k)
    return scores.reshape(batch, num_heads, queries, -1)


def scores_einsum(Q, K):
    groups = Q.unflatten(1, (K.shape[1], -1))  # (b, kv, g, q, hs)
    scores = torch.einsum("bjgqd,bjkd->bjgqk", groups, K) / math.sqrt(Q.shape[-1])
    return scores.flatten(1, 2)


def scores_repeat_interleave(Q, K):
    K = K.repeat_interleave(Q.shape[1] // K.shape[1], dim=1)  # g copies of every head
    return Q @ K.transpose(-1, -2) / math.sqrt(Q.shape[-1])


def scores_broadcast(Q, K):
    groups = Q.unflatten(1, (K.shape[1], -1))  # (b, kv, g, q, hs)
    scores = groups @ K[:, :, None].transpose(-1, -2)  # matmul expands K to g copies
    return scores.flatten(1, 2) / math.sqrt(Q.shape[-1])


def scores_indexed(Q, K):
    group_size = Q.shape[1] // K.shape[1]
    K = K[:, torch.arange(Q.shape[1]) // group_size]  # indexing copies too
    return Q @ K.transpose(-1, -2) / math.sqrt(Q.shape[-1])


def scores_tiled(Q, K):
    batch, num_heads, queries, head_size = Q.shape
    groups = Q.unflatten(1, (-1, K.shape[1])).transpose(1, 2)  # head h -> kv head h % kv
    scores = groups.flatten(2, 3) @ K.transpose(-1, -2) / math.sqrt(head_size)
    return scores.unflatten(2, (-1, queries)).transpose(1, 2).flatten(1, 2)


def scores_unscaled(Q, K):
    batch, num_heads, queries, head_size = Q.shape
    Q = Q.reshape(batch, K.shape[1], -1, head_size)
    return (Q @ K.transpose(-1, -2)).reshape(batch, num_heads, queries, -1)


def scores_kv_heads_only(Q, K):
    return Q[:, : K.shape[1]] @ K.transpose(-1, -2) / math.sqrt(Q.shape[-1])


def scores_as_numpy(Q, K):
    return scores_folded(Q, K).numpy()


# ------------------------------------------------------------------ preallocated cache


class CacheRight(KVCache):
    def __init__(self, max_steps):
        super().__init__()
        self.max_steps, self.lengths = max_steps, []

    def length(self, layer):
        return self.lengths[layer] if layer < len(self.lengths) else 0

    def update(self, layer, K, V):
        if layer == len(self.keys):  # the first call for this layer: its buffers
            shape = (K.shape[0], self.max_steps, K.shape[2])
            self.keys.append(K.new_zeros(shape))
            self.values.append(V.new_zeros(shape))
            self.lengths.append(0)
        start = self.lengths[layer]
        end = start + K.shape[1]
        if end > self.max_steps:
            raise ValueError(f"room for {self.max_steps} steps, got {end}")
        self.keys[layer][:, start:end] = K
        self.values[layer][:, start:end] = V
        self.lengths[layer] = end
        return self.keys[layer][:, :end], self.values[layer][:, :end]


class CacheOneBuffer(KVCache):
    """Keys and values in one (2, batch * kv_heads, max_steps, head_size) buffer per layer,
    whose two halves are what self.keys and self.values hold."""

    def __init__(self, max_steps):
        super().__init__()
        self.max_steps, self.buffers, self.lengths = max_steps, [], []

    def length(self, layer):
        return self.lengths[layer] if layer < len(self.lengths) else 0

    def update(self, layer, K, V):
        if layer == len(self.buffers):
            self.buffers.append(K.new_zeros(2, K.shape[0], self.max_steps, K.shape[2]))
            self.keys.append(self.buffers[layer][0])  # views: num_bytes counts them
            self.values.append(self.buffers[layer][1])
            self.lengths.append(0)
        start, end = self.lengths[layer], self.lengths[layer] + K.shape[1]
        if end > self.max_steps:
            raise ValueError(f"room for {self.max_steps} steps, got {end}")
        self.buffers[layer][:, :, start:end] = torch.stack([K, V])
        self.lengths[layer] = end
        return self.buffers[layer][0, :, :end], self.buffers[layer][1, :, :end]


class CacheConcatenated(KVCache):
    """KVCache itself: right logits, but every step copies the steps so far."""

    def __init__(self, max_steps):
        super().__init__()


class CacheCopiedOut(CacheRight):
    def update(self, layer, K, V):
        keys, values = super().update(layer, K, V)
        return keys.clone(), values.clone()


class CacheWholeBuffer(CacheRight):
    def update(self, layer, K, V):
        super().update(layer, K, V)
        return self.keys[layer], self.values[layer]  # max_steps steps, most of them zeros


class CacheBufferLength(CacheRight):
    def length(self, layer):
        return self.keys[layer].shape[1] if layer < len(self.keys) else 0  # KVCache's


class CacheSharedLayers(CacheRight):
    def update(self, layer, K, V):
        return super().update(0, K, V)  # every layer writes into layer 0's buffers


class CacheKeysAsValues(CacheRight):
    def update(self, layer, K, V):
        return super().update(layer, K, K)


class CacheTooLarge(CacheRight):
    """Ignores max_steps: buffers of 4096 steps, and nothing ever overflows them."""

    def __init__(self, max_steps):
        super().__init__(4096)


class CacheElsewhere(CacheRight):
    """Right buffers, but under names of its own: KVCache's num_bytes() finds none."""

    def update(self, layer, K, V):
        keys, values = self.keys, self.values
        self.keys, self.values = getattr(self, "kb", []), getattr(self, "vb", [])
        try:
            return super().update(layer, K, V)
        finally:
            self.kb, self.vb = self.keys, self.values
            self.keys, self.values = keys, values


class CacheNoGuard(CacheRight):
    """Buffers of max_steps steps, but a step past them is sliced away without an error."""

    def update(self, layer, K, V):
        if layer == len(self.keys):
            shape = (K.shape[0], self.max_steps, K.shape[2])
            self.keys.append(K.new_zeros(shape))
            self.values.append(V.new_zeros(shape))
            self.lengths.append(0)
        start, end = self.lengths[layer], self.lengths[layer] + K.shape[1]
        self.keys[layer][:, start:end] = K  # past the end: an empty slice, nothing written
        self.values[layer][:, start:end] = V
        self.lengths[layer] = end
        return self.keys[layer][:, :end], self.values[layer][:, :end]


ANSWERS = [
    Answer(check_my_grouped_scores, scores_folded, "pass", "g * q rows per kv head"),
    Answer(check_my_grouped_scores, scores_einsum, "pass"),
    Answer(check_my_grouped_scores, scores_repeat_interleave, "copied", "the lesson's copy"),
    Answer(check_my_grouped_scores, scores_broadcast, "copied", "matmul broadcasts by copying"),
    Answer(check_my_grouped_scores, scores_indexed, "copied", "gathers head h // g"),
    Answer(check_my_grouped_scores, scores_tiled, "layout", "heads 0, 1, 0, 1"),
    Answer(check_my_grouped_scores, scores_unscaled, "scale", "forgets 1 / sqrt(head_size)"),
    Answer(check_my_grouped_scores, scores_kv_heads_only, "shape", "num_kv_heads heads out"),
    Answer(check_my_grouped_scores, scores_as_numpy, "type", "returns a numpy array"),
    Answer(check_my_preallocated_cache, CacheRight, "pass"),
    Answer(check_my_preallocated_cache, CacheOneBuffer, "pass", "keys and values in one"),
    Answer(check_my_preallocated_cache, CacheConcatenated, "moved", "torch.cat at every step"),
    Answer(check_my_preallocated_cache, CacheCopiedOut, "moved", "returns copies"),
    Answer(check_my_preallocated_cache, CacheWholeBuffer, "steps", "returns unfilled steps"),
    Answer(check_my_preallocated_cache, CacheBufferLength, "length", "the buffer's length"),
    Answer(check_my_preallocated_cache, CacheSharedLayers, "layers", "one buffer for all"),
    Answer(check_my_preallocated_cache, CacheKeysAsValues, "values", "stores K as values"),
    Answer(check_my_preallocated_cache, CacheTooLarge, "room", "ignores max_steps"),
    Answer(check_my_preallocated_cache, CacheNoGuard, "overflow", "writes past the end silently"),
    Answer(check_my_preallocated_cache, CacheElsewhere, "bytes", "buffers not in self.keys"),
]

"""Tests of lesson 11's code (inference at scale) against PyTorch's own computation.

- GroupedQueryAttention: F.scaled_dot_product_attention(..., enable_gqa=True), lesson 06's
  MultiHeadAttention with the same weights, multi-query attention.
- KVCache, cached_self_attention, generate: the same tokens with and without the cache,
  the cache's size in bytes.
- apply_rotary: lesson 08's rotation(m, theta_i) on every pair; complex multiplication by
  e^(-i angle) (torch.view_as_complex, torch.polar); scores that depend on m - n only.
- The same code with inputs on the meta device: no tensor made on the CPU.
"""

from __future__ import annotations

import math

import pytest
import torch
from dispatch_watch import DeviceWatch
from torch.nn import functional as F

from attn_course.gqa import GroupedQueryAttention
from attn_course.kvcache import KVCache, TinyDecoder, cached_self_attention, generate
from attn_course.multihead import MultiHeadAttention, transpose_qkv
from attn_course.positional import rotation
from attn_course.rotary import apply_rotary

pytestmark = pytest.mark.usefixtures("one_thread")
ATOL = 1e-5


def random(*shape, seed=0, dtype=torch.float32):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def keep_mask(valid_lens, num_queries, num_keys):
    """Boolean SDPA mask (batch, queries, keys), True where a query may see a key."""
    lens = valid_lens if valid_lens.dim() == 2 else valid_lens[:, None].expand(-1, num_queries)
    return torch.arange(num_keys) < lens[..., None]


# ------------------------------------------------------------------ grouped-query attention


def sdpa_grouped(layer, queries, keys, values, mask=None, causal=False):
    Q = layer.W_q(queries).unflatten(-1, (layer.num_heads, -1)).transpose(1, 2)
    K = layer.W_k(keys).unflatten(-1, (layer.num_kv_heads, -1)).transpose(1, 2)
    V = layer.W_v(values).unflatten(-1, (layer.num_kv_heads, -1)).transpose(1, 2)
    mask = None if mask is None else mask[:, None]
    output = F.scaled_dot_product_attention(
        Q, K, V, attn_mask=mask, is_causal=causal, enable_gqa=True
    )
    return layer.W_o(output.transpose(1, 2).flatten(2))


@pytest.mark.parametrize("num_kv_heads", [8, 4, 2, 1])
@pytest.mark.parametrize("bias", [False, True])
def test_grouped_query_attention_equals_sdpa_with_enable_gqa(num_kv_heads, bias):
    torch.manual_seed(0)
    layer = GroupedQueryAttention(32, 8, num_kv_heads, bias=bias)
    queries, keys = random(2, 5, 32, seed=1), random(2, 7, 32, seed=2)
    valid_lens = torch.tensor([3, 7])
    with torch.no_grad():
        torch.testing.assert_close(
            layer(queries, keys, keys), sdpa_grouped(layer, queries, keys, keys), atol=ATOL, rtol=0
        )
        torch.testing.assert_close(
            layer(keys, keys, keys, causal=True),
            sdpa_grouped(layer, keys, keys, keys, causal=True),
            atol=ATOL,
            rtol=0,
        )
        torch.testing.assert_close(
            layer(queries, keys, keys, valid_lens),
            sdpa_grouped(layer, queries, keys, keys, keep_mask(valid_lens, 5, 7)),
            atol=ATOL,
            rtol=0,
        )
    assert layer.W_k.out_features == num_kv_heads * 4
    assert layer.attention_weights.shape == (2, 8, 5, 7)


def test_kv_head_j_serves_query_heads_j_g_to_j_g_plus_g_minus_1():
    torch.manual_seed(0)
    layer = GroupedQueryAttention(16, 4, 2)  # g = 2, head size 4
    X = random(1, 5, 16)
    with torch.no_grad():
        layer(X, X, X)
        Q = transpose_qkv(layer.W_q(X), 4)  # (batch * 4 heads, steps, 4): batch 1, row h
        K = transpose_qkv(layer.W_k(X), 2)  # (batch * 2 kv heads, steps, 4)
        for h in range(4):
            scores = Q[h : h + 1] @ K[h // 2 : h // 2 + 1].transpose(1, 2) / 2.0  # sqrt(4)
            torch.testing.assert_close(layer.attention_weights[:, h], torch.softmax(scores, -1))


@pytest.mark.parametrize("bias", [False, True])
def test_as_many_kv_heads_as_heads_is_multi_head_attention(bias):
    torch.manual_seed(0)
    mha = MultiHeadAttention(24, 24, 24, 24, 6, bias=bias)
    gqa = GroupedQueryAttention(24, 6, 6, bias=bias)
    gqa.load_state_dict(mha.state_dict())
    queries, keys = random(3, 4, 24, seed=1), random(3, 6, 24, seed=2)
    valid_lens = torch.tensor([2, 6, 4])
    with torch.no_grad():
        for lens in (None, valid_lens):
            torch.testing.assert_close(
                gqa(queries, keys, keys, lens), mha(queries, keys, keys, lens), atol=ATOL, rtol=0
            )
        torch.testing.assert_close(
            gqa(keys, keys, keys, causal=True),
            mha(keys, keys, keys, causal=True),
            atol=ATOL,
            rtol=0,
        )


def test_one_kv_head_is_multi_query_attention():
    torch.manual_seed(0)
    layer = GroupedQueryAttention(32, 8, 1)
    X = random(2, 6, 32)
    with torch.no_grad():
        Q = layer.W_q(X).unflatten(-1, (8, 4)).transpose(1, 2)  # (batch, heads, steps, 4)
        K, V = layer.W_k(X)[:, None], layer.W_v(X)[:, None]  # one shared head
        output = torch.softmax(Q @ K.transpose(2, 3) / 2.0, dim=-1) @ V
        expected = layer.W_o(output.transpose(1, 2).flatten(2))
        torch.testing.assert_close(layer(X, X, X), expected, atol=ATOL, rtol=0)
    assert layer.W_k.weight.shape == (4, 32)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((32, 8, 3), ValueError),
        ((30, 8, 2), ValueError),
        ((32, 8, 0), ValueError),
        ((32, 8.0, 2), TypeError),
        ((32, 8, 2, 1.5), ValueError),
    ],
)
def test_grouped_query_attention_rejects_bad_sizes(args, error):
    with pytest.raises(error):
        GroupedQueryAttention(*args)


def test_grouped_query_attention_rejects_bad_input():
    layer = GroupedQueryAttention(16, 4, 2)
    X = random(2, 3, 16)
    with pytest.raises(ValueError):
        layer(X, random(2, 3, 8), X)
    with pytest.raises(TypeError):
        layer(X.double(), X, X)
    with pytest.raises(ValueError):
        layer(X, X, X, torch.tensor([1, 4]))


# ------------------------------------------------------------------ KV cache


def small_decoder(num_kv_heads=4, seed=0):
    torch.manual_seed(seed)
    return TinyDecoder(
        vocab_size=30, num_hiddens=32, num_heads=4, num_kv_heads=num_kv_heads, num_layers=2
    ).eval()


@pytest.mark.parametrize("num_kv_heads", [4, 2, 1])
def test_generation_gives_the_same_tokens_with_and_without_a_cache(num_kv_heads):
    model = small_decoder(num_kv_heads)
    prompt = torch.randint(0, 30, (3, 5), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        without = generate(model, prompt, 25, use_cache=False)
        with_cache = generate(model, prompt, 25, use_cache=True)
    assert without.shape == (3, 30)
    assert torch.equal(without[:, :5], prompt)
    assert torch.equal(without, with_cache)


def test_cached_logits_equal_the_full_causal_pass():
    model = small_decoder(2)
    tokens = torch.randint(0, 30, (2, 12), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        full = model(tokens)  # (batch, steps, vocab), causal, no cache
        cache = KVCache()
        pieces = [model(tokens[:, :5], cache)] + [
            model(tokens[:, i : i + 1], cache) for i in range(5, 12)
        ]
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=ATOL, rtol=0)


def test_cached_self_attention_of_a_whole_sequence_is_causal_attention():
    torch.manual_seed(0)
    layer = GroupedQueryAttention(32, 8, 2)
    X = random(2, 7, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            cached_self_attention(layer, X, KVCache(), 0),
            sdpa_grouped(layer, X, X, X, causal=True),
            atol=ATOL,
            rtol=0,
        )


@pytest.mark.parametrize("num_kv_heads", [4, 2, 1])
def test_the_cache_size_in_bytes(num_kv_heads):
    model = small_decoder(num_kv_heads)
    cache = KVCache()
    with torch.no_grad():
        model(torch.randint(0, 30, (3, 6)), cache)
        for _ in range(4):
            model(torch.randint(0, 30, (3, 1)), cache)
    steps, head_size, layers, batch = 10, 8, 2, 3
    assert cache.length(0) == cache.length(1) == steps
    assert cache.keys[0].shape == (batch * num_kv_heads, steps, head_size)  # transpose_qkv's
    assert cache.num_bytes() == 2 * layers * batch * num_kv_heads * steps * head_size * 4


# ------------------------------------------------------------------ rotary embeddings


def rotary_by_complex_numbers(X, positions):
    """Pair (x_2i, x_2i+1) as x_2i + i x_2i+1, times e^(-i m theta_i): lesson 08's direction."""
    d = X.shape[-1]
    angles = positions[..., None].double() * 10000 ** (-torch.arange(0, d, 2).double() / d)
    turned = torch.view_as_complex(X.double().unflatten(-1, (d // 2, 2))) * torch.polar(
        torch.ones_like(angles), -angles
    )
    return torch.view_as_real(turned).flatten(-2)


@pytest.mark.parametrize("d", [2, 8, 32])
def test_apply_rotary_equals_complex_multiplication(d):
    X = random(3, 11, d, dtype=torch.float64)
    positions = torch.randint(0, 10000, (3, 11), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        apply_rotary(X, positions), rotary_by_complex_numbers(X, positions), atol=1e-10, rtol=0
    )
    torch.testing.assert_close(
        apply_rotary(X), rotary_by_complex_numbers(X, torch.arange(11)), atol=1e-10, rtol=0
    )
    X32 = X.float()
    assert apply_rotary(X32).dtype == torch.float32
    torch.testing.assert_close(
        apply_rotary(X32, positions[0]),
        rotary_by_complex_numbers(X32, positions[0]).float(),
        atol=1e-3,
        rtol=0,
    )


def test_rotary_pairs_are_features_2i_and_2i_plus_1():
    X = torch.zeros(1, 2, 4)
    X[0, :, 2] = 1.0  # the first feature of pair i = 1, theta_1 = 10000^(-2/4) = 0.01
    rotated = apply_rotary(X, torch.tensor([0, 100]))
    torch.testing.assert_close(rotated[0, 0], torch.tensor([0.0, 0.0, 1.0, 0.0]))
    expected = torch.tensor([0.0, 0.0, math.cos(1.0), -math.sin(1.0)])  # rotation(100, 0.01)
    torch.testing.assert_close(rotated[0, 1], expected)


@pytest.mark.parametrize("m", [0, 1, 7, 300, 4096])
def test_apply_rotary_turns_every_pair_by_lesson_08s_rotation(m):
    d = 8
    X = random(1, 1, d, seed=m, dtype=torch.float64)
    rotated = apply_rotary(X, torch.tensor([m]))[0, 0]
    for i in range(d // 2):
        expected = rotation(m, 10000 ** (-2 * i / d)).double() @ X[0, 0, 2 * i : 2 * i + 2]
        torch.testing.assert_close(rotated[2 * i : 2 * i + 2], expected, atol=1e-6, rtol=0)


def test_rotary_score_depends_only_on_the_offset():
    q, k = (
        random(1, 1, 16, seed=1, dtype=torch.float64),
        random(1, 1, 16, seed=2, dtype=torch.float64),
    )

    def score(m, n):
        rotated_q = apply_rotary(q, torch.tensor([m]))
        rotated_k = apply_rotary(k, torch.tensor([n]))
        return float((rotated_q * rotated_k).sum())

    for offset in (-7, -1, 0, 3, 50):
        scores = [score(m, m - offset) for m in (60, 75, 300, 4000)]
        assert max(scores) - min(scores) < 1e-9
    assert abs(score(5, 2) - score(2, 5)) > 1e-3  # the sign of the offset matters


def test_rotary_keeps_lengths_and_rejects_bad_input():
    X = random(2, 5, 6)
    torch.testing.assert_close(apply_rotary(X).norm(dim=-1), X.norm(dim=-1))
    with pytest.raises(ValueError):
        apply_rotary(random(2, 5, 7))
    with pytest.raises(ValueError):
        apply_rotary(X, torch.arange(4))
    with pytest.raises(TypeError):
        apply_rotary(X, [0, 1, 2, 3, 4])
    with pytest.raises(ValueError):
        apply_rotary(X[0])


# ------------------------------------------------------------------ on another device


def test_the_lesson_code_makes_every_tensor_on_the_inputs_device():
    """Inputs on the meta device: a tensor made on the CPU by mistake shows up as "cpu".

    (A fake CUDA device cannot be sliced in a CPU build of PyTorch, so meta tensors stand in;
    the input checks skip the values, which meta tensors do not have, and check the rest.)
    """
    device = torch.device("meta")
    torch.manual_seed(0)
    layer = GroupedQueryAttention(32, 8, 2).to(device)
    model = TinyDecoder(30, 32, 4, 2, 2).to(device)
    with DeviceWatch() as watch:
        apply_rotary(torch.randn(2, 5, 8, device=device))
        X = torch.randn(2, 6, 32, device=device)
        layer(X, X, X, torch.tensor([3, 6], device=device), causal=True)
        cache = KVCache()
        tokens = torch.zeros(2, 3, dtype=torch.long, device=device)
        model(tokens, cache)
        model(tokens[:, :1], cache)
        generate(model, tokens, 2, use_cache=True)
    assert watch.devices == {"meta"}


def test_the_device_watch_catches_a_tensor_made_on_the_cpu():
    X = torch.randn(2, 3, device="meta")
    with DeviceWatch() as watch:
        try:
            X * torch.arange(3)  # a CPU tensor beside a meta one: an error, or seen by the watch
        except RuntimeError:
            return
    assert "cpu" in watch.devices

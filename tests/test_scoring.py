"""Tests of attn_course.scoring (lesson 04) and of the lesson's exercise checks.

References: torch.nn.functional.scaled_dot_product_attention (with a mask
built from valid lengths), torch.nn.functional.bilinear, d2l 1.0.3's
DotProductAttention and AdditiveAttention, and closed forms written out
with explicit loops.
"""

from __future__ import annotations

import math

import pytest
import torch
from d2l_reference import load_d2l
from torch import nn
from torch.nn import functional as F

from attn_course.checks.lesson04 import check_my_gaussian_scores
from attn_course.masking import masked_softmax
from attn_course.scoring import (
    AdditiveAttention,
    AttentionPooling,
    BilinearAttention,
    DotProductAttention,
)

ALL_LAYERS = ["scaled", "plain", "additive", "bilinear"]


def randn(*shape: int, seed: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=dtype)


def inputs(query_shape, key_shape, value_shape, seed: int):
    """Seeded queries, keys and values of the given shapes."""
    return (
        randn(*query_shape, seed=seed),
        randn(*key_shape, seed=seed + 1),
        randn(*value_shape, seed=seed + 2),
    )


def make_layer(kind: str, key_size: int = 4, query_size: int = 4, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    if kind == "scaled":
        return DotProductAttention()
    if kind == "plain":
        return DotProductAttention(scaled=False)
    if kind == "additive":
        return AdditiveAttention(key_size, query_size, num_hiddens=6)
    if kind == "bilinear":
        return BilinearAttention(key_size, query_size)
    raise AssertionError(kind)


def length_attn_mask(valid_lens: torch.Tensor, num_queries: int, num_keys: int) -> torch.Tensor:
    """A boolean attn_mask (batch, queries, keys) for F.scaled_dot_product_attention,
    written independently of attn_course.masking."""
    if valid_lens.dim() == 1:
        valid_lens = valid_lens[:, None].expand(-1, num_queries)  # (batch, queries)
    positions = torch.arange(num_keys)[None, None, :]  # (1, 1, keys)
    return positions < valid_lens[:, :, None]  # (batch, queries, keys)


# --------------------------------------------------------------------------
# Parity with torch.nn.functional.scaled_dot_product_attention


@pytest.mark.parametrize(
    "valid_lens",
    [None, torch.tensor([3, 1]), torch.tensor([[1, 2, 5], [4, 5, 2]])],
    ids=["no-mask", "1d-lens", "2d-lens"],
)
def test_scaled_dot_product_matches_pytorch(valid_lens):
    queries, keys, values = inputs((2, 3, 8), (2, 5, 8), (2, 5, 3), seed=1)
    attn_mask = None if valid_lens is None else length_attn_mask(valid_lens, 3, 5)
    expected = F.scaled_dot_product_attention(queries, keys, values, attn_mask=attn_mask)
    actual = DotProductAttention()(queries, keys, values, valid_lens)
    torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-5)


def test_plain_dot_product_matches_pytorch_with_scale_one():
    queries, keys, values = inputs((2, 3, 8), (2, 5, 8), (2, 5, 3), seed=1)
    valid_lens = torch.tensor([2, 5])
    attn_mask = length_attn_mask(valid_lens, 3, 5)
    expected = F.scaled_dot_product_attention(queries, keys, values, attn_mask=attn_mask, scale=1.0)
    actual = DotProductAttention(scaled=False)(queries, keys, values, valid_lens)
    torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-5)
    # and the scale really matters here
    scaled = DotProductAttention()(queries, keys, values, valid_lens)
    assert not torch.allclose(actual, scaled, atol=1e-3)


def test_causal_matches_pytorch_is_causal():
    queries, keys, values = inputs((2, 4, 8), (2, 4, 8), (2, 4, 3), seed=4)
    expected = F.scaled_dot_product_attention(queries, keys, values, is_causal=True)
    actual = DotProductAttention()(queries, keys, values, causal=True)
    torch.testing.assert_close(actual, expected)


def test_causal_and_valid_lens_combine_like_pytorch():
    queries, keys, values = inputs((2, 4, 8), (2, 4, 8), (2, 4, 3), seed=4)
    valid_lens = torch.tensor([2, 4])
    mask = length_attn_mask(valid_lens, 4, 4) & torch.ones(4, 4, dtype=torch.bool).tril()
    expected = F.scaled_dot_product_attention(queries, keys, values, attn_mask=mask)
    actual = DotProductAttention()(queries, keys, values, valid_lens, causal=True)
    torch.testing.assert_close(actual, expected)


def test_bilinear_matches_pytorch_on_transformed_keys():
    queries, keys, values = inputs((2, 3, 6), (2, 5, 4), (2, 5, 3), seed=1)
    layer = make_layer("bilinear", key_size=4, query_size=6)
    valid_lens = torch.tensor([[1, 2, 5], [4, 5, 3]])
    with torch.no_grad():
        transformed_keys = keys @ layer.W.weight.T  # (batch, keys, query_size)
        expected = F.scaled_dot_product_attention(
            queries,
            transformed_keys,
            values,
            attn_mask=length_attn_mask(valid_lens, 3, 5),
            scale=1.0,
        )
        actual = layer(queries, keys, values, valid_lens)
    torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-5)


# --------------------------------------------------------------------------
# Parity with d2l 1.0.3


@pytest.fixture(scope="module")
def d2l():
    return load_d2l("masked_softmax", "DotProductAttention", "AdditiveAttention")


@pytest.mark.parametrize(
    "valid_lens",
    [None, torch.tensor([2, 6]), torch.tensor([[1, 3, 6], [2, 2, 5]])],
    ids=["no-mask", "1d-lens", "2d-lens"],
)
def test_dot_product_matches_d2l(d2l, valid_lens):
    queries, keys, values = inputs((2, 3, 5), (2, 6, 5), (2, 6, 4), seed=7)
    reference = d2l.DotProductAttention(dropout=0.0)
    lens = None if valid_lens is None else valid_lens.clone()
    expected = reference(queries.clone(), keys.clone(), values.clone(), lens)
    ours = DotProductAttention()
    actual = ours(queries, keys, values, valid_lens)
    torch.testing.assert_close(actual, expected)
    torch.testing.assert_close(ours.attention_weights, reference.attention_weights)


@pytest.mark.parametrize(
    "valid_lens",
    [None, torch.tensor([2, 6]), torch.tensor([[1, 3, 6], [2, 2, 5]])],
    ids=["no-mask", "1d-lens", "2d-lens"],
)
def test_additive_matches_d2l(d2l, valid_lens):
    queries, keys, values = inputs((2, 3, 7), (2, 6, 5), (2, 6, 4), seed=10)
    reference = d2l.AdditiveAttention(num_hiddens=8, dropout=0.0)
    reference(queries.clone(), keys.clone(), values.clone(), None)  # materialise lazy layers
    ours = AdditiveAttention(key_size=5, query_size=7, num_hiddens=8)
    with torch.no_grad():
        for name in ("W_q", "W_k", "w_v"):
            getattr(ours, name).weight.copy_(getattr(reference, name).weight)
    lens = None if valid_lens is None else valid_lens.clone()
    with torch.no_grad():
        expected = reference(queries.clone(), keys.clone(), values.clone(), lens)
        actual = ours(queries, keys, values, valid_lens)
    torch.testing.assert_close(actual, expected)
    torch.testing.assert_close(ours.attention_weights, reference.attention_weights)


# --------------------------------------------------------------------------
# Closed forms, written with explicit loops


def test_dot_product_scores_by_hand():
    queries = torch.tensor([[[1.0, 2.0], [0.0, -1.0]]])  # (1, 2, 2)
    keys = torch.tensor([[[3.0, 1.0], [1.0, 1.0], [-2.0, 0.5]]])  # (1, 3, 2)
    plain = torch.tensor([[[5.0, 3.0, -1.0], [-1.0, -1.0, -0.5]]])
    torch.testing.assert_close(DotProductAttention(scaled=False).score(queries, keys), plain)
    torch.testing.assert_close(DotProductAttention().score(queries, keys), plain / math.sqrt(2))


def test_additive_scores_by_hand():
    layer = make_layer("additive", key_size=3, query_size=2)
    queries, keys = randn(2, 4, 2, seed=13), randn(2, 5, 3, seed=14)
    W_q, W_k = layer.W_q.weight, layer.W_k.weight  # (h, d_q), (h, d_k)
    w_v = layer.w_v.weight[0]  # (h,)
    expected = torch.empty(2, 4, 5)
    for b in range(2):
        for i in range(4):
            for j in range(5):
                expected[b, i, j] = w_v @ torch.tanh(W_q @ queries[b, i] + W_k @ keys[b, j])
    with torch.no_grad():
        torch.testing.assert_close(layer.score(queries, keys), expected)


@pytest.mark.parametrize(("query_size", "key_size"), [(5, 3), (4, 4)])
def test_bilinear_scores_match_functional_bilinear(query_size, key_size):
    layer = make_layer("bilinear", key_size=key_size, query_size=query_size)
    queries, keys = randn(2, 4, query_size, seed=15), randn(2, 6, key_size, seed=16)
    # F.bilinear(x1, x2, A)[n] = x1[n]^T A[0] x2[n] for every pair n
    pairs_q = queries[:, :, None, :].expand(2, 4, 6, query_size).reshape(-1, query_size)
    pairs_k = keys[:, None, :, :].expand(2, 4, 6, key_size).reshape(-1, key_size)
    with torch.no_grad():
        expected = F.bilinear(pairs_q, pairs_k, layer.W.weight[None]).reshape(2, 4, 6)
        torch.testing.assert_close(layer.score(queries, keys), expected)


def test_bilinear_with_identity_is_the_dot_product():
    layer = make_layer("bilinear", key_size=4, query_size=4)
    with torch.no_grad():
        layer.W.weight.copy_(torch.eye(4))
        queries, keys = randn(2, 3, 4, seed=17), randn(2, 5, 4, seed=18)
        torch.testing.assert_close(
            layer.score(queries, keys), DotProductAttention(scaled=False).score(queries, keys)
        )


def test_equal_scores_give_the_mean_of_the_values():
    # Keys all equal: every score layer gives uniform weights over the valid keys.
    keys = torch.ones(2, 4, 4)
    queries, values = randn(2, 3, 4, seed=19), randn(2, 4, 3, seed=20)
    valid_lens = torch.tensor([2, 4])
    for kind in ALL_LAYERS:
        with torch.no_grad():
            output = make_layer(kind)(queries, keys, values, valid_lens)
        torch.testing.assert_close(output[0], values[0, :2].mean(0).expand(3, 3))
        torch.testing.assert_close(output[1], values[1].mean(0).expand(3, 3))


def test_output_is_weights_times_values():
    queries, keys, values = inputs((2, 3, 4), (2, 5, 4), (2, 5, 6), seed=21)
    for kind in ALL_LAYERS:
        layer = make_layer(kind)
        with torch.no_grad():
            output = layer(queries, keys, values)
            weights = masked_softmax(layer.score(queries, keys))
        torch.testing.assert_close(layer.attention_weights, weights)
        torch.testing.assert_close(output, weights @ values)


# --------------------------------------------------------------------------
# Masking


@pytest.mark.parametrize("kind", ALL_LAYERS)
def test_padding_gets_zero_weight_and_cannot_change_the_output(kind):
    layer = make_layer(kind)
    queries, keys, values = inputs((2, 3, 4), (2, 5, 4), (2, 5, 3), seed=24)
    valid_lens = torch.tensor([[1, 2, 3], [5, 4, 2]])
    with torch.no_grad():
        output = layer(queries, keys, values, valid_lens)
        weights = layer.attention_weights
        changed_keys, changed_values = keys.clone(), values.clone()
        changed_keys[0, 3:] = 100.0  # only padding of sequence 0 changes
        changed_values[0, 3:] = -100.0
        changed_output = layer(queries, changed_keys, changed_values, valid_lens)
    padding = torch.arange(5)[None, None, :] >= valid_lens[:, :, None]  # (batch, queries, keys)
    assert torch.all(weights[padding] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))
    torch.testing.assert_close(changed_output, output)


@pytest.mark.parametrize("kind", ALL_LAYERS)
def test_zero_valid_length_gives_zero_output_not_nan(kind):
    layer = make_layer(kind)
    queries, keys, values = inputs((2, 3, 4), (2, 5, 4), (2, 5, 3), seed=27)
    with torch.no_grad():
        output = layer(queries, keys, values, torch.tensor([0, 5]))
    assert not torch.isnan(output).any()
    assert torch.all(output[0] == 0)
    assert torch.all(layer.attention_weights[0] == 0)


@pytest.mark.parametrize("kind", ALL_LAYERS)
def test_causal_hides_later_keys_for_every_layer(kind):
    layer = make_layer(kind)
    queries, keys, values = inputs((1, 4, 4), (1, 4, 4), (1, 4, 2), seed=30)
    with torch.no_grad():
        layer(queries, keys, values, causal=True)
    later = torch.ones(4, 4, dtype=torch.bool).triu(1)
    assert torch.all(layer.attention_weights[0][later] == 0)
    torch.testing.assert_close(layer.attention_weights.sum(-1), torch.ones(1, 4))


# --------------------------------------------------------------------------
# Shapes, attention_weights, gradients, dropout


@pytest.mark.parametrize("kind", ALL_LAYERS)
def test_shapes_and_attention_weights_kept(kind):
    layer = make_layer(kind)
    assert layer.attention_weights is None
    queries, keys, values = inputs((3, 2, 4), (3, 7, 4), (3, 7, 5), seed=33)
    output = layer(queries, keys, values)
    assert output.shape == (3, 2, 5)
    assert layer.attention_weights.shape == (3, 2, 7)
    assert layer.score(queries, keys).shape == (3, 2, 7)


@pytest.mark.parametrize("kind", ["additive", "bilinear"])
def test_queries_and_keys_may_differ_in_size(kind):
    layer = make_layer(kind, key_size=3, query_size=7)
    output = layer(randn(2, 4, 7, seed=36), randn(2, 5, 3, seed=37), randn(2, 5, 2, seed=38))
    assert output.shape == (2, 4, 2)


@pytest.mark.parametrize("kind", ["additive", "bilinear"])
def test_gradients_reach_every_parameter(kind):
    layer = make_layer(kind)
    queries = randn(2, 3, 4, seed=39).requires_grad_()
    output = layer(queries, randn(2, 5, 4, seed=40), randn(2, 5, 3, seed=41), torch.tensor([2, 5]))
    output.sum().backward()
    assert queries.grad is not None and queries.grad.abs().sum() > 0
    for name, parameter in layer.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_parameter_counts():
    assert sum(p.numel() for p in DotProductAttention().parameters()) == 0
    additive = AdditiveAttention(key_size=16, query_size=24, num_hiddens=32)
    assert sum(p.numel() for p in additive.parameters()) == 32 * (24 + 16 + 1)
    bilinear = BilinearAttention(key_size=16, query_size=24)
    assert sum(p.numel() for p in bilinear.parameters()) == 24 * 16


def test_dropout_changes_output_in_training_but_not_the_stored_weights():
    queries, keys, values = inputs((2, 3, 4), (2, 6, 4), (2, 6, 3), seed=42)
    layer = DotProductAttention(dropout=0.5)
    layer.train()
    torch.manual_seed(0)
    dropped = layer(queries, keys, values)
    weights = layer.attention_weights
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))  # kept before dropout
    layer.eval()
    assert not torch.allclose(dropped, layer(queries, keys, values))
    torch.testing.assert_close(layer(queries, keys, values), weights @ values)


def test_base_class_needs_a_score():
    with pytest.raises(NotImplementedError, match="must define score"):
        AttentionPooling()(randn(1, 2, 3, seed=0), randn(1, 2, 3, seed=1), randn(1, 2, 3, seed=2))


def test_keyword_arguments_keep_their_names():
    # Lessons 05 and 06 build on these constructor and forward signatures.
    DotProductAttention(dropout=0.1, scaled=True)
    AdditiveAttention(key_size=2, query_size=3, num_hiddens=4, dropout=0.1)
    BilinearAttention(key_size=2, query_size=3, dropout=0.1)
    layer = DotProductAttention(0.0)
    output = layer(
        queries=randn(1, 2, 3, seed=0),
        keys=randn(1, 2, 3, seed=1),
        values=randn(1, 2, 3, seed=2),
        valid_lens=torch.tensor([1]),
        causal=True,
    )
    assert output.shape == (1, 2, 3)


# --------------------------------------------------------------------------
# Bad input

Q, K, V = (2, 3, 4), (2, 5, 4), (2, 5, 2)


@pytest.mark.parametrize(
    ("shapes_or_tensors", "valid_lens", "error", "message"),
    [
        (((3, 4), K, V), None, ValueError, "queries must have 3 dimensions"),
        ((Q, (1, 2, 5, 4), V), None, ValueError, "keys must have 3 dimensions"),
        ((Q, K, (5, 2)), None, ValueError, "values must have 3 dimensions"),
        (
            (torch.ones(2, 3, 4, dtype=torch.long), K, V),
            None,
            TypeError,
            "queries must be a floating-point tensor",
        ),
        (
            (Q, K, torch.ones(2, 5, 2, dtype=torch.int32)),
            None,
            TypeError,
            "values must be a floating-point tensor",
        ),
        ((Q, [[[1.0] * 4] * 5] * 2, V), None, TypeError, "keys must be a torch.Tensor"),
        ((Q, (3, 5, 4), (3, 5, 2)), None, ValueError, "same batch size"),
        ((Q, K, (2, 4, 2)), None, ValueError, "same number of keys"),
        ((Q, randn(2, 5, 4, seed=1, dtype=torch.float64), V), None, TypeError, "same dtype"),
        ((Q, K, randn(2, 5, 2, seed=2, dtype=torch.float64)), None, TypeError, "same dtype"),
        ((Q, K, V), torch.tensor([1.0, 2.0]), TypeError, "integer tensor"),
        ((Q, K, V), [1, 2], TypeError, "must be a torch.Tensor"),
        ((Q, K, V), torch.tensor([1, 2, 3]), ValueError, r"shape \(2,\) or \(2, 3\)"),
        ((Q, K, V), torch.tensor([[1, 2], [3, 4]]), ValueError, r"shape \(2,\) or \(2, 3\)"),
        ((Q, K, V), torch.tensor([-1, 2]), ValueError, "must not be negative"),
        ((Q, K, V), torch.tensor([2, 6]), ValueError, "at most 5"),
    ],
)
def test_attention_rejects_bad_input(shapes_or_tensors, valid_lens, error, message):
    tensors = [
        randn(*item, seed=i) if isinstance(item, tuple) else item
        for i, item in enumerate(shapes_or_tensors)
    ]
    with pytest.raises(error, match=message):
        DotProductAttention()(*tensors, valid_lens)


def test_scores_name_the_expected_sizes():
    with pytest.raises(ValueError, match=r"one size d, got \(2, 3, 4\) and \(2, 5, 8\)"):
        DotProductAttention().score(randn(2, 3, 4, seed=0), randn(2, 5, 8, seed=1))
    for layer in (make_layer("additive", 3, 7), make_layer("bilinear", 3, 7)):
        with pytest.raises(ValueError, match=r"expected queries \(batch, queries, 7\)"):
            layer.score(randn(2, 4, 6, seed=0), randn(2, 5, 3, seed=1))
        with pytest.raises(ValueError, match=r"keys \(batch, keys, 3\)"):
            layer.score(randn(2, 4, 7, seed=0), randn(2, 5, 4, seed=1))
        with pytest.raises(TypeError, match=r"parameters are torch.float32.*torch.float16"):
            layer.score(randn(1, 3, 7, seed=0).half(), randn(1, 3, 3, seed=1).half())


@pytest.mark.parametrize("kind", ALL_LAYERS)
def test_every_layer_and_score_reject_bad_input(kind):
    layer = make_layer(kind)
    queries, keys, values = inputs((2, 3, 4), (2, 5, 4), (2, 5, 2), seed=0)
    with pytest.raises(ValueError, match="at most 5"):  # lengths, checked in length_mask
        layer(queries, keys, values, torch.tensor([2, 6]))
    with pytest.raises(ValueError, match="keys must have 3 dimensions"):  # score, called alone
        layer.score(queries, randn(5, 4, seed=1))
    with pytest.raises(ValueError, match="same batch size"):
        layer.score(queries, randn(3, 5, 4, seed=1))
    if kind != "scaled" and kind != "plain":  # the score's own sizes, from forward too
        with pytest.raises(ValueError, match=r"keys \(batch, keys, 4\)"):
            layer(queries, randn(2, 5, 3, seed=1), values)
    else:
        with pytest.raises(ValueError, match="one size d"):
            layer(queries, randn(2, 5, 8, seed=1), values)


def test_a_dtype_other_than_the_parameters_says_how_to_convert():
    layer = make_layer("additive", key_size=5, query_size=3)
    layer.score(randn(1, 2, 3, seed=0), randn(1, 4, 5, seed=1))  # float32, like the layer
    with pytest.raises(TypeError, match=r"parameters are torch.float32.*layer.to\(torch.float16\)"):
        layer.score(randn(1, 2, 3, seed=0).half(), randn(1, 4, 5, seed=1).half())


# --------------------------------------------------------------------------
# float16 and bfloat16


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("kind", ALL_LAYERS)
def test_half_precision_works_close_to_float32(kind, dtype):
    layer = make_layer(kind)
    queries, keys, values = inputs((2, 3, 4), (2, 6, 4), (2, 6, 3), seed=45)
    valid_lens = torch.tensor([2, 6])
    with torch.no_grad():
        expected = layer(queries, keys, values, valid_lens)
        layer.to(dtype)
        actual = layer(queries.to(dtype), keys.to(dtype), values.to(dtype), valid_lens)
    assert actual.dtype == dtype and layer.attention_weights.dtype == dtype
    assert not torch.isnan(actual).any()
    torch.testing.assert_close(actual.float(), expected, atol=5e-2, rtol=5e-2)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_large_half_precision_scores_do_not_overflow_softmax(dtype):
    # Plain dot products of size 256 with entries of 4: scores in the thousands,
    # far beyond what exp() can hold in float16; masked_softmax works in float32.
    queries, keys = 4 * randn(1, 2, 256, seed=48), 4 * randn(1, 5, 256, seed=49)
    values = randn(1, 5, 3, seed=50)
    layer = DotProductAttention(scaled=False)
    output = layer(queries.to(dtype), keys.to(dtype), values.to(dtype), torch.tensor([4]))
    assert not torch.isnan(output).any() and not torch.isinf(output).any()
    torch.testing.assert_close(
        layer.attention_weights.float().sum(-1), torch.ones(1, 2), atol=1e-2, rtol=0
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("kind", ["additive", "bilinear"])
def test_half_inputs_into_float32_parameters_raise_clearly(kind, dtype):
    layer = make_layer(kind)
    queries, keys, values = (randn(1, 3, 4, seed=s).to(dtype) for s in (51, 52, 53))
    with pytest.raises(TypeError, match=rf"parameters are torch.float32.*{dtype}"):
        layer(queries, keys, values)


# --------------------------------------------------------------------------
# The lesson 04 exercise checks (verdicts: tests/exercise_answers/lesson04.py)


def test_exercise_checks_leave_the_global_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check_my_gaussian_scores(lambda queries, keys, sigma: None)
    torch.testing.assert_close(torch.rand(3), expected)

"""Tests of attn_course.multihead against independent references, and of its validators.

References: a per-head loop written here with plain softmax,
torch.nn.MultiheadAttention, F.scaled_dot_product_attention (through
SDPAMultiHeadAttention) and d2l 1.0.3's MultiHeadAttention. Bad input is tried
at the entry points: the layer, its constructor, the head split and merge.
"""

from __future__ import annotations

import math

import pytest
import torch
from d2l_reference import load_d2l
from torch import nn

from attn_course.checks.lesson06 import _reference_multihead
from attn_course.masking import length_mask
from attn_course.multihead import (
    MultiHeadAttention,
    SDPAMultiHeadAttention,
    transpose_output,
    transpose_qkv,
)
from attn_course.support.reference import key_padding_mask, to_torch_multihead
from conftest import count_value_reads

ATOL = 1e-5


def make_inputs(
    batch=2,
    num_queries=4,
    num_keys=6,
    query_size=16,
    key_size=12,
    value_size=10,
    seed=0,
    dtype=torch.float32,
):
    generator = torch.Generator().manual_seed(seed)
    queries = torch.randn(batch, num_queries, query_size, generator=generator, dtype=dtype)
    keys = torch.randn(batch, num_keys, key_size, generator=generator, dtype=dtype)
    values = torch.randn(batch, num_keys, value_size, generator=generator, dtype=dtype)
    return queries, keys, values


def make_mha(
    cls=MultiHeadAttention,
    key_size=12,
    query_size=16,
    value_size=10,
    num_hiddens=16,
    num_heads=4,
    bias=False,
    seed=0,
):
    torch.manual_seed(seed)
    return cls(key_size, query_size, value_size, num_hiddens, num_heads, 0.0, bias).eval()


def loop_reference(mha, queries, keys, values, keep=None):
    """Multi-head attention one head at a time, from the weight matrices.

    keep: bool (batch, queries, keys), True where a query may see a key.
    """
    num_hiddens, num_heads = mha.W_o.out_features, mha.num_heads
    head_size = num_hiddens // num_heads
    Q, K, V = mha.W_q(queries), mha.W_k(keys), mha.W_v(values)
    outputs, all_weights = [], []
    for h in range(num_heads):
        part = slice(h * head_size, (h + 1) * head_size)
        scores = Q[..., part] @ K[..., part].transpose(1, 2) / math.sqrt(head_size)
        if keep is not None:
            scores = scores.masked_fill(~keep, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        if keep is not None:
            weights = torch.nan_to_num(weights, nan=0.0)  # rows with no visible key
        all_weights.append(weights)
        outputs.append(weights @ V[..., part])
    return mha.W_o(torch.cat(outputs, dim=-1)), torch.stack(all_weights, dim=1)


def keep_from_lens(valid_lens, num_queries, num_keys):
    if valid_lens.dim() == 1:
        valid_lens = valid_lens[:, None].expand(-1, num_queries)
    return length_mask(valid_lens, num_keys)


def max_diff(a, b):
    return (a.double() - b.double()).abs().max().item()


# ---------------------------------------------------------------- transposes


def test_transpose_qkv_shape_and_order():
    X = torch.arange(2 * 3 * 6, dtype=torch.float32).reshape(2, 3, 6)
    Y = transpose_qkv(X, 3)
    assert Y.shape == (6, 3, 2)
    for b in range(2):
        for h in range(3):
            assert torch.equal(Y[b * 3 + h], X[b, :, 2 * h : 2 * h + 2])


def test_transpose_output_inverts_transpose_qkv():
    X = torch.randn(3, 5, 12)
    for num_heads in (1, 2, 3, 4, 6, 12):
        assert torch.equal(transpose_output(transpose_qkv(X, num_heads), num_heads), X)


# --------------------------------------------------------------- construction


def test_parameter_count_and_names():
    mha = MultiHeadAttention(12, 16, 10, 16, 4, 0.0, bias=True)
    shapes = {name: tuple(p.shape) for name, p in mha.named_parameters()}
    assert shapes == {
        "W_q.weight": (16, 16),
        "W_q.bias": (16,),
        "W_k.weight": (16, 12),
        "W_k.bias": (16,),
        "W_v.weight": (16, 10),
        "W_v.bias": (16,),
        "W_o.weight": (16, 16),
        "W_o.bias": (16,),
    }


# -------------------------------------------------------------------- forward


@pytest.mark.parametrize(
    "valid_lens", [None, torch.tensor([3, 6]), torch.tensor([[1, 2, 3, 4], [6, 5, 0, 2]])]
)
@pytest.mark.parametrize("bias", [False, True])
def test_forward_matches_per_head_loop(valid_lens, bias):
    mha = make_mha(bias=bias)
    queries, keys, values = make_inputs()
    output = mha(queries, keys, values, valid_lens)
    keep = None if valid_lens is None else keep_from_lens(valid_lens, 4, 6)
    expected, expected_weights = loop_reference(mha, queries, keys, values, keep)
    assert output.shape == (2, 4, 16)
    assert mha.attention_weights.shape == (8, 4, 6)
    assert mha.attention_weights_by_head.shape == (2, 4, 4, 6)
    assert max_diff(output, expected) < ATOL
    assert max_diff(mha.attention_weights_by_head, expected_weights) < ATOL


def test_valid_lens_are_repeated_per_head():
    mha = make_mha()
    queries, keys, values = make_inputs()
    mha(queries, keys, values, torch.tensor([2, 5]))
    weights = mha.attention_weights_by_head  # (batch, heads, queries, keys)
    assert torch.all(weights[0, :, :, 2:] == 0)
    assert torch.all(weights[1, :, :, 5:] == 0)
    assert torch.all(weights[0, :, :, :2] > 0) and torch.all(weights[1, :, :, :5] > 0)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 4, 4))


def test_one_head_is_dot_product_attention_on_projections():
    mha = make_mha(num_heads=1)
    queries, keys, values = make_inputs()
    Q, K, V = mha.W_q(queries), mha.W_k(keys), mha.W_v(values)
    weights = torch.softmax(Q @ K.transpose(1, 2) / math.sqrt(16), dim=-1)
    assert max_diff(mha(queries, keys, values), mha.W_o(weights @ V)) < ATOL


def test_causal_self_attention_ignores_later_positions():
    mha = make_mha(key_size=16, value_size=16)
    X = torch.randn(2, 6, 16)
    output = mha(X, X, X, causal=True)
    for i in range(5):
        changed = X.clone()
        changed[:, i + 1 :] = torch.randn(2, 5 - i, 16)
        new_output = mha(changed, changed, changed, causal=True)
        assert max_diff(new_output[:, : i + 1], output[:, : i + 1]) == 0.0
        assert max_diff(new_output[:, i + 1 :], output[:, i + 1 :]) > 1e-3
    assert torch.all(mha.attention_weights.triu(diagonal=1) == 0)


def test_no_causal_mask_lets_later_positions_matter():
    mha = make_mha(key_size=16, value_size=16)
    X = torch.randn(1, 5, 16)
    changed = X.clone()
    changed[:, -1] += 1.0
    assert max_diff(mha(X, X, X)[:, 0], mha(changed, changed, changed)[:, 0]) > 1e-4


def test_dropout_only_in_training():
    torch.manual_seed(0)
    mha = MultiHeadAttention(12, 16, 10, 16, 4, dropout=0.5)
    queries, keys, values = make_inputs()
    first, second = mha(queries, keys, values), mha(queries, keys, values)
    assert max_diff(first, second) > 1e-3
    mha.eval()
    assert max_diff(mha(queries, keys, values), mha(queries, keys, values)) == 0.0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("cls", [MultiHeadAttention, SDPAMultiHeadAttention])
def test_half_precision_works_without_nan(dtype, cls):
    mha = make_mha(cls=cls)
    queries, keys, values = make_inputs()
    valid_lens = torch.tensor([0, 4])
    expected = mha(queries, keys, values, valid_lens)
    output = mha.to(dtype)(queries.to(dtype), keys.to(dtype), values.to(dtype), valid_lens)
    assert output.dtype == dtype
    assert not torch.isnan(output).any()
    assert max_diff(output, expected) < 0.05


# --------------------------------------------------- torch.nn.MultiheadAttention


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("sizes", [(12, 10), (16, 16)], ids=["kdim-vdim", "same-dim"])
def test_matches_torch_multihead_with_key_padding_mask(bias, sizes):
    key_size, value_size = sizes
    mha = make_mha(key_size=key_size, value_size=value_size, bias=bias)
    queries, keys, values = make_inputs(key_size=key_size, value_size=value_size)
    valid_lens = torch.tensor([3, 6])
    torch_mha = to_torch_multihead(mha)
    assert (torch_mha.in_proj_weight is not None) == (sizes == (16, 16))
    expected, expected_weights = torch_mha(
        queries,
        keys,
        values,
        key_padding_mask=key_padding_mask(valid_lens, 6),
        average_attn_weights=False,
    )
    output = mha(queries, keys, values, valid_lens)
    assert max_diff(output, expected) < ATOL
    assert max_diff(mha.attention_weights_by_head, expected_weights) < ATOL


def test_matches_torch_multihead_self_attention_fast_path():
    mha = make_mha(key_size=16, value_size=16, bias=True)
    torch_mha = to_torch_multihead(mha)
    X = make_inputs(num_keys=5)[0]
    valid_lens = torch.tensor([2, 4])
    with torch.inference_mode():  # eval + no grad: PyTorch may take its fused fast path
        expected, _ = torch_mha(
            X, X, X, key_padding_mask=key_padding_mask(valid_lens, 4), need_weights=False
        )
        output = mha(X, X, X, valid_lens)
    assert max_diff(output, expected) < ATOL


def test_matches_torch_multihead_with_per_query_lengths_and_causal_mask():
    mha = make_mha(bias=True)
    queries, keys, values = make_inputs(num_queries=5, num_keys=5)
    valid_lens = torch.tensor([[1, 2, 3, 4, 5], [5, 5, 2, 2, 1]])
    torch_mha = to_torch_multihead(mha)
    keep = keep_from_lens(valid_lens, 5, 5) & torch.ones(5, 5, dtype=torch.bool).tril()
    attn_mask = (~keep).repeat_interleave(mha.num_heads, dim=0)  # (batch*heads, q, k)
    expected, _ = torch_mha(queries, keys, values, attn_mask=attn_mask)
    output = mha(queries, keys, values, valid_lens, causal=True)
    assert max_diff(output, expected) < ATOL


def test_to_torch_multihead_copies_mode_and_dropout():
    mha = MultiHeadAttention(16, 16, 16, 16, 2, dropout=0.25)
    torch_mha = to_torch_multihead(mha)
    assert torch_mha.training and torch_mha.dropout == 0.25 and torch_mha.batch_first
    assert not to_torch_multihead(mha.eval()).training


def test_to_torch_multihead_rejects_bad_input():
    with pytest.raises(ValueError, match="query_size == num_hiddens"):
        to_torch_multihead(MultiHeadAttention(8, 12, 8, 16, 2))
    with pytest.raises(TypeError, match="must be a MultiHeadAttention"):
        to_torch_multihead(nn.Linear(2, 2))


def test_key_padding_mask():
    mask = key_padding_mask(torch.tensor([0, 2, 3]), 3)
    assert mask.tolist() == [[True, True, True], [False, False, True], [False, False, False]]


# ------------------------------------------------------------ SDPA version


@pytest.mark.parametrize(
    "valid_lens", [None, torch.tensor([3, 6]), torch.tensor([[1, 2, 3, 4], [6, 5, 0, 2]])]
)
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_version_matches(valid_lens, causal):
    mha = make_mha(bias=True)
    sdpa = make_mha(cls=SDPAMultiHeadAttention, bias=True, seed=1)
    sdpa.load_state_dict(mha.state_dict())
    queries, keys, values = make_inputs()
    expected = mha(queries, keys, values, valid_lens, causal=causal)
    output = sdpa(queries, keys, values, valid_lens, causal=causal)
    assert not torch.isnan(output).any()
    assert max_diff(output, expected) < ATOL
    assert sdpa.attention_weights is None


def test_sdpa_zero_valid_length_gives_zero_head_output():
    sdpa = make_mha(cls=SDPAMultiHeadAttention)  # no bias: W_o(0) = 0
    queries, keys, values = make_inputs()
    output = sdpa(queries, keys, values, torch.tensor([0, 6]))
    assert torch.all(output[0] == 0) and torch.all(output[1] != 0)


# -------------------------------------------------------------- d2l 1.0.3


@pytest.mark.parametrize(
    "valid_lens", [None, torch.tensor([3, 2]), torch.tensor([[1, 2, 3, 4], [6, 5, 1, 2]])]
)
def test_matches_d2l(valid_lens):
    d2l = load_d2l("MultiHeadAttention", "DotProductAttention", "masked_softmax")
    torch.manual_seed(0)
    theirs = d2l.MultiHeadAttention(16, 4, 0.0).eval()
    mha = make_mha()
    queries, keys, values = make_inputs()
    theirs(queries, keys, values, None)  # materialise the lazy layers
    with torch.no_grad():
        for name in ("W_q", "W_k", "W_v", "W_o"):
            getattr(mha, name).weight.copy_(getattr(theirs, name).weight)
    lens = None if valid_lens is None else valid_lens.clone()
    expected = theirs(queries, keys, values, lens)
    output = mha(queries, keys, values, valid_lens)
    assert max_diff(output, expected) < ATOL
    assert max_diff(mha.attention_weights, theirs.attention.attention_weights) < ATOL


# ------------------------------------------------------------ bad input


def layer_and_inputs(cls=MultiHeadAttention):
    return make_mha(cls=cls), *make_inputs(), torch.tensor([3, 6])


X3 = torch.randn(4, 6, 6)
BAD_CALLS = [
    # (call, error, message)
    (lambda: transpose_qkv(torch.randn(4, 6), 2), ValueError, "3 dimensions"),
    (lambda: transpose_qkv(torch.ones(4, 6, 6, dtype=torch.long), 2), TypeError, "floating-point"),
    (lambda: transpose_qkv(X3, 2.0), TypeError, "num_heads must be an int"),
    (lambda: transpose_qkv(X3, 0), ValueError, "num_heads must be at least 1"),
    (lambda: transpose_qkv(torch.randn(2, 3, 10), 4), ValueError, "divisible"),
    (lambda: transpose_output(torch.randn(4, 6), 2), ValueError, "3 dimensions"),
    (lambda: transpose_output(X3, True), TypeError, "num_heads must be an int"),
    (lambda: transpose_output(torch.randn(5, 3, 2), 2), ValueError, r"batch \* num_heads"),
    (lambda: MultiHeadAttention(8, 8, 8, 100, 3), ValueError,
     r"num_hiddens \(100\) must be divisible by num_heads \(3\)"),
    (lambda: MultiHeadAttention(8, 8, 8, 16, 2.0), TypeError, "num_heads must be an int"),
    (lambda: MultiHeadAttention(8, 8, 8, 16.0, 2), TypeError, "num_hiddens must be an int"),
    (lambda: MultiHeadAttention(0, 8, 8, 16, 2), ValueError, "key_size must be at least 1"),
    (lambda: MultiHeadAttention(8, 8, 8, 16, 0), ValueError, "num_heads must be at least 1"),
    (lambda: MultiHeadAttention(8, 8, 8, 16, 2, 1.0), ValueError, r"dropout must be in \[0, 1\)"),
    (lambda: key_padding_mask(torch.tensor([[1, 2]]), 3), ValueError, r"shape \(batch,\)"),
    (lambda: key_padding_mask([1, 2], 3), ValueError, r"shape \(batch,\)"),
    (lambda: key_padding_mask(torch.tensor([4]), 3), ValueError, "at most 3"),
    (lambda: key_padding_mask(torch.tensor([1.0]), 3), TypeError, "integer tensor"),
]  # fmt: skip


@pytest.mark.parametrize("call, error, match", BAD_CALLS)
def test_bad_sizes_and_shapes_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


BAD_INPUTS = [
    # (change to (queries, keys, values, valid_lens), error, message)
    (lambda q, k, v, vl: (q[..., :8], k, v, vl), ValueError, r"queries must have shape .*16"),
    (lambda q, k, v, vl: (q, k[..., :8], v, vl), ValueError, r"keys must have shape .*12"),
    (lambda q, k, v, vl: (q, k, v[..., :8], vl), ValueError, r"values must have shape .*10"),
    (lambda q, k, v, vl: (q[0], k, v, vl), ValueError, "queries must have 3 dimensions"),
    (lambda q, k, v, vl: (q.double(), k, v, vl), TypeError, "torch.float64"),
    (lambda q, k, v, vl: (q, k, v[:, :5], vl), ValueError, "same number of keys"),
    (lambda q, k, v, vl: (q, k, v, vl.float()), TypeError, "integer tensor"),
    (lambda q, k, v, vl: (q, k, v, vl[:1]), ValueError, "valid_lens must have shape"),
    (lambda q, k, v, vl: (q, k, v, vl + 5), ValueError, "at most 6"),
    (lambda q, k, v, vl: (q, k, v, [3, 4]), TypeError, "valid_lens must be a torch.Tensor"),
]


@pytest.mark.parametrize("cls", [MultiHeadAttention, SDPAMultiHeadAttention])
@pytest.mark.parametrize("change, error, match", BAD_INPUTS)
def test_the_layer_rejects_bad_input(cls, change, error, match):
    layer, *inputs = layer_and_inputs(cls)
    with pytest.raises(error, match=match):
        layer(*change(*inputs))


def test_a_forward_pass_reads_tensor_values_once():
    """Only the valid lengths are read into Python (a device sync on a GPU), once."""
    layer, queries, keys, values, valid_lens = layer_and_inputs()
    assert count_value_reads(lambda: layer(queries, keys, values, valid_lens)) == 1
    assert count_value_reads(lambda: layer(queries, keys, values, causal=True)) == 0


# ------------------------------------------------------ the exercise checks' reference


@pytest.mark.parametrize("valid_lens", [None, torch.tensor([3, 6]), torch.tensor([0, 2])])
def test_exercise_reference_is_the_layer(valid_lens):
    mha = make_mha()
    queries, keys, values = make_inputs()
    weights = [mha.W_q.weight, mha.W_k.weight, mha.W_v.weight, mha.W_o.weight]
    with torch.no_grad():
        expected = mha(queries, keys, values, valid_lens)
        output = _reference_multihead(queries, keys, values, *weights, 4, valid_lens)
    assert max_diff(output, expected) < ATOL
